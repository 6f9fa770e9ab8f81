/** Robot payload samples quoted from the references. */

/** stream-protocol.md §7, DM sample (captured, abridged there). */
export const DM_SAMPLE = {
  chatbotCorpId: 'dinge19e...',
  chatbotUserId: '$:LWCP_v1:$01B/44e/...',
  conversationId: 'cidh6ez...=',
  conversationType: '1',
  createAt: 1774080994334,
  isAdmin: false,
  msgId: 'msgBjXREkdlZkfTfrIiQomjAw==',
  msgtype: 'text',
  openThreadId: 'cidh6ez...=',
  robotCode: 'dingf0apw4ibx5u5ktba',
  senderCorpId: 'dinge19e...',
  senderId: '$:LWCP_v1:$gzXDEX...==',
  senderNick: '...',
  senderPlatform: 'Mac',
  senderStaffId: '032615015535634423',
  sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=3dc99...',
  sessionWebhookExpiredTime: 1774086394522,
  text: { content: 'hello' },
};

/** stream-protocol.md §7, group sample (protocol doc). */
export const GROUP_SAMPLE = {
  conversationId: 'cidAsXSBLnA==',
  atUsers: [{ dingtalkId: '$:LWCP_v1:$4*****TgHFUDZ8Qi8qr3' }],
  chatbotCorpId: 'ding9f*****cd16741',
  chatbotUserId: '$:LWCP_v1:$*****x3vTgHFUDZ8Qi8qr3',
  msgId: 'msgLICYe****HgY4JtMQw==',
  senderNick: '用户',
  isAdmin: true,
  senderStaffId: '16650***698',
  sessionWebhookExpiredTime: 1690367502152,
  createAt: 1690362101894,
  senderCorpId: 'ding9*****d16741',
  conversationType: '2',
  senderId: '$:LWCP_v1:***jqTgIfhRX9Q==',
  conversationTitle: '测试群',
  isInAtList: true,
  sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=76da36b4**********8f59e8',
  text: { content: ' 测试数据' },
  robotCode: 'ding*****r3xc0b',
  msgtype: 'text',
};
