/** A chat as replies name it: `**Name** (chatId)` when the registry knows it, else undefined. */
import type { RegistryStore } from '../../store/types.ts';
import { type Markdown, md, mdEscape } from '../render.ts';

export async function chatName(
  registry: RegistryStore,
  chatId: string | undefined,
): Promise<Markdown | undefined> {
  if (chatId === undefined) return undefined;
  const rec = await registry.get(chatId);
  return rec === undefined ? undefined : md(`**${mdEscape(rec.name)}** (\`${chatId}\`)`);
}
