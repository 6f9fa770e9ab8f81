/**
 * The facts of every endpoint the client calls, in one table: its envelope family, whether it
 * changes state on DingTalk (a write: only repeated when the failure proves it was not done),
 * whether a write is journaled (a change to a chat, not a reply), and the permission point behind
 * it (dingtalk-api.md §2-§4, contact-api.md §1-§5).
 */
import type { EndpointName } from './errors.ts';

export interface EndpointFacts {
  /** legacy (HTTP 200 + errcode) or v1 (HTTP status + code) */
  family: 'legacy' | 'v1';
  /** changes state on DingTalk */
  write: boolean;
  /** a write the bot's write journal records (a change to a chat; replies are not) */
  journaled: boolean;
  /** the permission point the app needs, when DingTalk names one */
  permission?: string;
}

const read = (family: EndpointFacts['family'], permission?: string): EndpointFacts => ({
  family,
  write: false,
  journaled: false,
  ...(permission !== undefined ? { permission } : {}),
});
const change = (family: EndpointFacts['family'], permission: string): EndpointFacts => ({
  family,
  write: true,
  journaled: true,
  permission,
});
const send = (family: EndpointFacts['family'], permission?: string): EndpointFacts => ({
  family,
  write: true,
  journaled: false,
  ...(permission !== undefined ? { permission } : {}),
});

export const ENDPOINTS: Readonly<Record<EndpointName, EndpointFacts>> = {
  'oauth2.accessToken': read('v1'),
  'chat.create': change('legacy', 'qyapi_chat_manage'),
  'chat.get': read('legacy', 'qyapi_chat_read'),
  'chat.update': change('legacy', 'qyapi_chat_manage'),
  'subadmin.update': change('legacy', 'qyapi_chat_manage'),
  'friendswitch.update': change('legacy', 'qyapi_chat_manage'),
  updategroupnick: change('legacy', 'qyapi_chat_manage'),
  'qrcode.get': read('legacy', 'qyapi_chat_base_read'),
  'im.convertToOpenConversationId': read('v1', 'qyapi_chat_read'),
  'im.subAdministrators': change('v1', 'qyapi_chat_manage'),
  'im.group.create': change('v1', 'qyapi_chat_manage'),
  'im.group.update': change('v1', 'qyapi_chat_manage'),
  'robot.sendBySession': send('legacy'),
  'robot.batchSend': send('v1', 'qyapi_robot_sendmsg'),
  'robot.groupSend': send('v1', 'qyapi_robot_sendmsg'),
  'contact.users.search': read('v1', 'qyapi_addresslist_search'),
  'contact.departments.search': read('v1', 'qyapi_addresslist_search'),
  'user.get': read('legacy', 'qyapi_get_member'),
  'user.getbymobile': read('legacy', 'qyapi_get_member_by_mobile'),
  'user.listsimple': read('legacy', 'qyapi_get_department_member'),
  'department.get': read('legacy', 'qyapi_get_department_list'),
};
