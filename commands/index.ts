/**
 * Every command the bot knows, in the order /help lists them. Adding a command: write
 * `commands/<name>.ts` exporting a `defineCommand(...)` spec as default, then list it here.
 */
import type { CommandSpec } from '../src/bot/types.ts';
import audit from './audit.ts';
import cancel from './cancel.ts';
import chatAdd from './chat-add.ts';
import chatAdmin from './chat-admin.ts';
import chatCid from './chat-cid.ts';
import chatClone from './chat-clone.ts';
import chatCreate from './chat-create.ts';
import chatInfo from './chat-info.ts';
import chatJobs from './chat-jobs.ts';
import chatLink from './chat-link.ts';
import chatList from './chat-list.ts';
import chatNick from './chat-nick.ts';
import chatOwner from './chat-owner.ts';
import chatQr from './chat-qr.ts';
import chatRemove from './chat-remove.ts';
import chatRename from './chat-rename.ts';
import chatSet from './chat-set.ts';
import { chatTag, chatUntag } from './chat-tag.ts';
import chatTemplates from './chat-templates.ts';
import chatUndo from './chat-undo.ts';
import confirm from './confirm.ts';
import help from './help.ts';
import pick from './pick.ts';
import whoami from './whoami.ts';

// Each spec is typed by its own args; the registry only needs the common shape.
const specs = [
  help,
  whoami,
  chatCreate,
  chatClone,
  chatTemplates,
  chatInfo,
  chatCid,
  chatQr,
  chatRename,
  chatAdd,
  chatRemove,
  chatOwner,
  chatSet,
  chatAdmin,
  chatNick,
  chatUndo,
  chatJobs,
  chatList,
  chatTag,
  chatUntag,
  chatLink,
  confirm,
  cancel,
  pick,
  audit,
];

export const allCommands = specs as unknown as readonly CommandSpec<unknown>[];
