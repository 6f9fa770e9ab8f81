import { Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';

export const USERS = [
  { userId: 'admin', nick: 'Ada Admin', isOrgAdmin: true },
  { userId: 'alice', nick: 'Alice Wang' },
  { userId: 'bob', nick: 'Bob Li' },
  { userId: 'carol', nick: 'Carol Zhang' },
  { userId: 'dave', nick: 'Dave Chen' },
];

export function startEmu(opts: EmulatorOptions = {}): Promise<Emulator> {
  return Emulator.start({ users: USERS, qpsLimit: null, ...opts });
}

export interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  json: any;
  text: string;
  headers: Headers;
}

export async function http(
  emu: Emulator,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: unknown; raw?: string; contentType?: string; v1Token?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] = opts.contentType ?? 'text/plain';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  if (opts.v1Token !== undefined) headers['x-acs-dingtalk-access-token'] = opts.v1Token;
  const res = await fetch(`${emu.baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function token(emu: Emulator): Promise<string> {
  const r = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
  return r.json.access_token as string;
}

/** POST to a legacy path with ?access_token= */
export function legacy(emu: Emulator, path: string, tok: string, body?: unknown): Promise<Res> {
  const sep = path.includes('?') ? '&' : '?';
  return http(
    emu,
    body === undefined ? 'GET' : 'POST',
    `${path}${sep}access_token=${tok}`,
    body === undefined ? {} : { body },
  );
}

export function v1(emu: Emulator, path: string, tok: string, body?: unknown): Promise<Res> {
  return http(emu, 'POST', path, body === undefined ? { v1Token: tok } : { v1Token: tok, body });
}

export const UUID_UPPER = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
