/** Public surface of the in-process DingTalk emulator. */
export { MAX_ADMINS, MAX_USERS_PER_CALL } from './chat-api.ts';
export {
  CONTACT_PERMISSIONS,
  type ContactPermission,
  ContactSwitches,
  MAX_LISTSIMPLE_SIZE,
} from './contact-api.ts';
export { type ConnectionInfo, Emulator, type SayOptions } from './emulator.ts';
export { type FaultKind, Faults, type GatewayMode, type UpgradeMode } from './faults.ts';
export { type BadFrame, ROBOT_TOPIC } from './gateway.ts';
export {
  type Chat,
  type ChatSettings,
  type Department,
  type NewChat,
  Org,
  ROOT_DEPT_ID,
  type User,
} from './org.ts';
export { groupContent } from './payloads.ts';
export { MAX_MSG_PARAM_BYTES, MAX_OTO_USERS } from './robot-api.ts';
export type {
  AtUser,
  EmulatorOptions,
  RecordedAck,
  RecordedDelivery,
  RecordedPing,
  RecordedRequest,
  RobotPayload,
  SeedDepartment,
  SeedUser,
  SentReply,
} from './types.ts';
