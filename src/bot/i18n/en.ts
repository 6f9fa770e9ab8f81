/**
 * Everything generic the bot says, in English. Keys are `area.what`; `{name}` marks a parameter.
 * `zh-CN.ts` must have exactly these keys (checked by the compiler and by a test).
 */
export const en = {
  // Reading the message
  'parse.empty': 'Send me a command, e.g. /help.',
  'parse.no-slash': 'Commands start with /. Send /help to see what I can do.',
  'parse.unclosed-quote': 'A quote {quote} is not closed: add the closing quote.',
  'parse.too-long': 'That is too long for a command (more than {max} characters).',
  'parse.control':
    'Your message holds a control character ({code}) that no command can take. Type it again without it.',
  'pipeline.text-only': 'I only read text commands. Send /help to see them.',
  'pipeline.no-user-id':
    'I can only work for members of this organisation: DingTalk gave me no userId for you.',

  // Finding the command
  'command.unknown': 'Unknown command /{command}. Send /help to see the commands you may use.',
  'command.unknown-suggest': 'Unknown command /{command}. Did you mean {suggestions}?',
  'command.group': '/{group} needs a subcommand: {list}. Send /help {group} for details.',
  'command.group-unknown': '/{command} is not a command. /{group} has: {list}.',

  // Arguments
  'usage.line': 'Usage: {usage}',
  'usage.example': 'Example: {example}',
  'param.chat': '<chat>',
  'args.choice-missing': 'Start with one of {choices}.\nUsage: {usage}',
  'args.bad-choice': 'Say one of {choices}; "{value}" is not one.\nUsage: {usage}',
  'args.missing': 'Missing {slot}.\nUsage: {usage}',
  'args.too-many': 'I did not expect "{extra}" here.\nUsage: {usage}',
  'args.invalid': 'Some arguments are not right: {problems}\nUsage: {usage}',
  'args.not-int': '{slot} must be a whole number, not "{value}".',
  'args.unknown-option':
    'Unknown option {option}. Valid options: {valid}. Put text that contains = in quotes.',
  'args.unknown-option-suggest':
    'Unknown option {option}. Did you mean {suggestion}? Valid options: {valid}.',
  'args.no-options':
    '/{command, command} takes no key=value options (got {option}). Put text that contains = in quotes.',
  'args.option-twice': 'Option {option} is given twice.',
  'args.bad-onoff': '{option} must be on or off, not "{value}".',
  'args.bad-enum': '{option} must be one of {values}, not "{value}".',
  'args.mentions-left': 'You mentioned more people than this command takes.\nUsage: {usage}',

  // Users
  'user.invalid':
    '"{value}" is not a person. Type a name, a mobile, a userId, dept:<name> or me, or pick them with @.',
  'user.external':
    'Someone you mentioned is outside this organisation (DingTalk gave no userId), so I cannot use them.',

  // People typed by name, mobile or department (architecture.md §3, Users)
  'args.option-empty': '{option}= needs a person: a name, a mobile, a userId, me, or @-pick them.',
  'people.one-expected':
    '"{word}" stands for {count, plural, one {# person} other {# people}} here, but this takes exactly one.',
  'people.dept-empty-name':
    '"{value}" names no department: write dept:<name>, e.g. dept:Design or dept:"Design Team".',
  'people.resolved': 'Found: {list}.',
  'people.dept-note': '{word} → {dept} ({count, plural, one {# person} other {# people}})',
  'people.dept-note-capped':
    '{word} → {dept} ({total, plural, one {# person} other {# people}}; only the first {listed} can be used in one command)',
  'people.dept-note-capped-more':
    '{word} → {dept} (more than {listed} people; only the first {listed} can be used in one command)',
  'people.dept-empty': 'The department {dept} ("{word}") has no members. Nothing was changed.',
  'people.ambiguous': 'Several people match "{word}": {candidates}. Type one of their userIds.',
  'people.none': 'Nobody in the directory matches "{word}". Nothing was changed.',
  'people.none-close':
    'Nobody in the directory matches "{word}". Did you mean: {close}? Nothing was changed.',
  'people.dept-none': 'No department matches "{word}". Nothing was changed.',
  'people.depts':
    'Several departments match "{word}": {depts}. Type the exact name, e.g. dept:"<name>". Nothing was changed.',
  'people.invalid-empty': 'A person is empty in "{word}": type a name, a mobile, a userId or dept:<name>.',
  'people.invalid-tooLong': 'The name "{word}" is too long to be a person\'s name. Nothing was changed.',
  'people.invalid-badMobile':
    '"{word}" is not a mobile number: use digits only, e.g. 13800138000 or +86 138 0013 8000.',
  'people.denied':
    'I cannot look up "{word}": the app lacks the DingTalk permission {permission}. Typed userIds and @-picks still work.',
  'people.out-of-range':
    'I cannot look up "{word}": that person or department is outside the app\'s contact range. Typed userIds and @-picks still work.',
  'people.too-many':
    'This names {count} people to look up; I look up at most {max} in one message. Nothing was looked up or changed: send them in smaller groups, or use dept:<name>.',
  'people.big':
    'This concerns {count, plural, one {# person} other {# people}} found by name or department: {list}',
  'people.more': 'and {count} more',
  'pick.title': 'Which one?',
  'pick.ask':
    '{count, plural, one {A name matches several people} other {# names match several people}}. Nothing was changed yet.',
  'pick.word': '{word}:',
  'pick.word-command': 'pick',
  'pick.how':
    'Send {example} with {count, plural, one {the number of the person you mean} other {one number per name, in order}} (within {minutes} minutes), or /cancel.',
  'pick.nothing': 'Nothing of yours waits for a pick.',
  'pick.expired': 'Your pick for /{command, command} has expired. Send the command again.',
  'pick.bad': 'Send {count, plural, one {one number} other {# numbers, in order}} ({ranges}), not "{typed}".',
  'pick.cancelled': 'Dropped your pending pick for /{command, command}.',
  'pick.replaced': 'Your pending pick for /{command, command} was dropped: this command replaced it.',

  // Chats
  'chat.invalid':
    '"{value}" is not a chat. Name it by chatId (chat…), #name, #"name with spaces", or here (in a linked group).',
  'chat.missing-direct':
    'In a 1:1 chat I need to know which chat: name it by chatId (chat…), #name or #"name with spaces"; /chat list shows yours.\nUsage: {usage}',
  'chat.here-direct':
    '"here" only works in a group chat. Name the chat by chatId or #name, or send /chat link <chatId> in the group first.',
  'chat.here-unknown':
    'I do not know this group yet. Send /chat link <chatId> here first, or name the chat by chatId or #name.',
  'chat.cid-unknown': 'I do not know the chat {cid}. Send /chat link <chatId> in that group first.',
  'chat.name-not-found': 'No chat named "{name}" that I know of. Send /chat list to see my chats.',
  'chat.name-ambiguous':
    'Several chats are named "{name}": {candidates}. Name the one you mean by its chatId.',

  // Authorization
  'auth.role-needed':
    '/{command, command} needs the role {needed}; you, {user|userId}, have the role {role}. Try /whoami.',
  'auth.option-forbidden': '{user|userId}, your role ({role}) does not allow the option(s) {options}.',
  'auth.not-owner':
    '{user|userId}, you may not change {chatName|chat}: its owner is {ownerName|owner}. Ask {ownerName|owner} or a bot admin; /chat list shows the chats you may change.',

  // Failures
  'pipeline.timeout':
    'This took longer than {seconds} s, so I stopped waiting. DingTalk may still finish it: check with {check} before you send it again.',
  'pipeline.internal-error': 'Something went wrong on my side. Incident id: {incident}.',
  'pipeline.dingtalk-error':
    'DingTalk refused: {cause}\nWhat to do: {next}{permission, select, - {} other {\nPermission involved: {permission}}}\nIds: {ids}',
  'pipeline.store-waiting': "The bot's database is unreachable; I will run your command when it is back.",
  'pipeline.store-unavailable':
    "The bot's database is unreachable right now, so I could not finish this. Try again in a minute.",
  'pipeline.interrupted':
    'I was stopped while running /{command, command} (chat {chatName|chat}), so I do not know whether DingTalk did it. I will not repeat it on my own. Check with {check} before you send it again.',

  // Confirmation of risky commands
  'chat.gone': 'The chat `{chat}` has been dissolved since; nothing was done.',
  'confirm.ask':
    '{preview}\n\nSend /confirm {code} within {minutes, plural, one {# minute} other {# minutes}} to go ahead (or tap the link), or /cancel.',
  'confirm.title': 'Please confirm',
  'confirm.link': 'Confirm {code}',
  'confirm.command': '/confirm {code}',
  'confirm.generic-preview': 'You are about to run /{command, command}.',
  'confirm.need-code': 'Which one? Send /confirm <code> with one of these codes:',
  'confirm.waiting-line': '{code}: /{command, command}',
  'confirm.nothing-waits': 'Nothing of yours waits for confirmation here.',
  'confirm.already-waiting':
    'An undo of that change already waits for your confirmation: send /confirm {code}. I made no second code.',
  'confirm.unknown': 'Nothing waits for the code "{code}": it is wrong or was used already.',
  'confirm.expired': 'The code {code} has expired. Send the command again.',
  'confirm.wrong-user': 'The code {code} belongs to someone else.',
  'confirm.cancelled': 'Cancelled /{command, command} ({code}).',
  'confirm.nothing-to-cancel': 'Nothing of yours waits for confirmation.',

  // Pace
  'rate.waiting': 'DingTalk asks me to slow down; your command runs in about {seconds} s.',
  'rate.user': 'You are sending commands too fast; wait {seconds} s.',

  // Audit reasons, stored as these keys and worded by /audit in the reader's language
  'audit.reason.role-needed': 'needs the role {needed}, has {role}',
  'audit.reason.options-forbidden': 'options not allowed for this user: {options}',
  'audit.reason.not-owner': 'not the owner; the owner is {owner}',
  'audit.reason.pick': 'waits for a pick among the people {words} matched',
  'audit.reason.pending': 'waits for confirmation {code}',
  'audit.reason.confirmed': 'confirmed with {code}',
  'audit.reason.cancelled': 'cancelled by the user ({code})',
  'audit.reason.timeout': 'no answer within {seconds} s; outcome unknown',
  'audit.reason.dingtalk': 'DingTalk refused: {cause}',
  'audit.reason.store': "the bot's database was unreachable",
  'audit.reason.internal': 'internal error, incident {incident}',
  'audit.reason.interrupted': 'interrupted by a stop of the bot; the outcome of {endpoint} is unknown',
  'audit.reason.when': '{option}= refused ({why})',
  'audit.reason.scheduled': 'scheduled as {job} for {at}',
  'audit.reason.job': 'carried out as job {job}',

  // Later changes (at=, until=, jobs)
  'when.nonsense':
    '{option}= needs a time: a duration such as 45s, 30m, 2h or 7d, or a date and time in {zone} such as 2026-12-24 or "2026-12-24 18:00". "{value}" is neither. Nothing was changed or scheduled.',
  'when.past':
    '{option}={value} is not in the future (it is {now} in {zone} now). Nothing was changed or scheduled.',
  'when.too-far':
    '{option}={value} is more than a year ahead (the latest is {max} in {zone}). Nothing was changed or scheduled.',
  'when.until-only':
    'until= works with /chat add and /chat admin add only: those are the changes I can take back later. Nothing was changed or scheduled.',
  'when.until-before-at': 'until= ({until}) must come after at= ({at}). Nothing was changed or scheduled.',
  'when.no-set':
    '{option}= works on one chat at a time, not on a set of chats ({set}). Schedule each chat on its own, or run the set now without {option}=. Nothing was changed or scheduled.',
  'jobs.on-chat': ' on {name} (`{chatId}`)',
  'jobs.scheduled':
    'Scheduled as **{job}**: {what}{chat}, at {at} ({zone}), in {in}. Nothing has changed yet; I will tell you in a 1:1 message when it is done. /chat jobs lists your jobs; /chat jobs cancel {job} cancels it.',
  'jobs.until-scheduled':
    '**{job}**: I take this back at {at} ({zone}), in {in}. /chat jobs cancel {job} keeps it.',
  'jobs.until-nothing': 'Nothing changed, so there is nothing to take back later.',
  'jobs.what.until': 'take back {what}',
  'jobs.notice.title': 'Job {job}',
  'jobs.notice.done': 'Job **{job}** ({what}, due {due}) is done:',
  'jobs.notice.dropped': 'Job **{job}** ({what}, due {due}) was dropped; nothing was changed:',
  'jobs.notice.failed': 'Job **{job}** ({what}, due {due}) failed:',
  'jobs.notice.late': 'It ran {late} late: no bot was running at {due}.',
  'jobs.preview-at': 'Done at {at} ({zone}), not now: confirming schedules it.',
  'jobs.preview-until': 'Taken back at {at} ({zone}).',
  'jobs.unreadable': 'I cannot read what this job was to do, so I dropped it.',

  // The catalogue's own locale (for code that needs to know it)

  // Sets of chats (issue 21)
  'set.not-here':
    '/{command, command} takes one chat. Sets of chats (tag:<tag>, mine, or chats separated by commas) work with /chat add, /chat remove, /chat admin, /chat set and /chat nick.',
  'set.bad-tag': '"{tag}" is not a tag: use letters, digits, - and _ (at most 32), e.g. tag:proj.',
  'set.tag-empty':
    'No chat I know has the tag {tag}. Tag one with /chat tag <chat> {tag}; /chat list tag:{tag} lists them.',
  'set.mine-empty':
    'You have no chats with me yet, so "mine" is empty. /chat list shows the chats you manage.',
  'set.too-many': '{set} has {count} chats; a set may have at most {max}. Nothing was changed.',
  'batch.more': '(+{count} more)',
  'batch.skip.gone': 'dissolved',
  'batch.skip.not-yours': 'not yours',
  'batch.internal': 'something went wrong on my side',
  'batch.unknown-line':
    'I was stopped while its change was on its way, so I do not know whether DingTalk did it; I did not send it again.',
  'batch.done-before': 'done before I was stopped',
  'batch.done-before-no-undo':
    'done before I was stopped, but I was stopped before I noted how to take it back: /chat undo leaves this chat as it is',
  'batch.preview.head':
    '/{command, command} on {set}: {count, plural, one {# chat} other {# chats}}, {changing} to change.',
  'batch.preview.unreadable': 'Could not be read now (tried again when you confirm):',
  'batch.preview.skipped': 'Skipped:',
  'batch.nothing': 'Nothing to change in any chat of the set; nothing was changed.',
  'batch.started':
    "Working on {count} chats of {set}: this takes about {seconds} s within DingTalk's rate limit. The ledger follows when it is done.",
  'batch.ledger.head':
    '/{command, command} on {set}: {count, plural, one {# chat} other {# chats}}: {done} done, {skipped} skipped, {failed} failed{unknown, plural, =0 {} other {, # unknown}}.',
  'batch.ledger.failed': 'Failed (the other chats went on):',
  'batch.ledger.retry': 'Retry just this chat: {command}',
  'batch.ledger.unknown': 'Outcome unknown:',
  'batch.ledger.check': 'Check: {command}',
  'batch.ledger.done': 'Done:',
  'batch.ledger.skipped': 'Skipped:',
  'batch.ledger.undo': '/chat undo takes the whole batch back.',
  'audit.reason.batch': 'batch {batch}: {done} done, {skipped} skipped, {failed} failed',
  'audit.reason.batch-chat': 'one chat of batch {batch}: {state}',
  'locale.code': 'en',

  // Words used in replies
  'word.on': 'on',
  'word.off': 'off',
  'word.everyone': 'everyone',
  'word.owner': 'owner',
  'word.none': '(none)',
  'role.everyone': 'everyone',
  'role.lead': 'lead',
  'role.admin': 'admin',
  'conversation.direct': '1:1 chat',
  'conversation.group': 'group chat',
  'settings.searchable': 'searchable',
  'settings.validation': 'validation',
  'settings.mention-all': 'mention-all',
  'settings.management': 'management',
  'settings.mute': 'mute',
  'settings.history': 'history',
} as const;

export type MessageKey = keyof typeof en;
