/**
 * Join links drawn as QR codes in the terminal, when the optional `qrcode-terminal` package is
 * installed (it is not a dependency: without it the sandbox prints the link only).
 */

interface QrTerminal {
  generate(text: string, opts: { small?: boolean }, cb: (qr: string) => void): void;
}

let loaded: Promise<QrTerminal | undefined> | undefined;

function load(): Promise<QrTerminal | undefined> {
  // A variable specifier keeps TypeScript and bundlers from requiring the package to exist.
  const name = 'qrcode-terminal';
  loaded ??= import(name).then(
    (mod: { default?: QrTerminal } & Partial<QrTerminal>) => {
      const qr = mod.default ?? mod;
      return typeof qr.generate === 'function' ? (qr as QrTerminal) : undefined;
    },
    () => undefined,
  );
  return loaded;
}

/** The QR code of `text` as terminal lines, or undefined when no QR package is installed. */
export async function drawQr(text: string): Promise<string | undefined> {
  const qr = await load();
  if (!qr) return undefined;
  return new Promise((resolve) => {
    qr.generate(text, { small: true }, (drawn) => resolve(drawn.replace(/\n+$/, '')));
  });
}
