/** The Stream side of the wire: the only place that imports `dingtalk-stream`. */
export { GuardedStreamClient, type RobotFrame, StreamAuthError, StreamGatewayError } from './client.ts';
export { DEFAULT_STANDBY_OPTIONS, StandbyGuard, type StandbyOptions, type StandbyState } from './standby.ts';
export {
  DEFAULT_SUPERVISOR_OPTIONS,
  StreamSupervisor,
  type SupervisorOptions,
  type SupervisorState,
} from './supervisor.ts';
