/**
 * Join links drawn as QR codes in the terminal, with `qrcode-terminal` (small, no dependencies,
 * MIT): a phone camera can open the sandbox's join link straight from the screen.
 */
import qrcode from 'qrcode-terminal';

/** The QR code of `text` as terminal lines. */
export function drawQr(text: string): Promise<string> {
  return new Promise((resolve) => {
    qrcode.generate(text, { small: true }, (drawn) => resolve(drawn.replace(/\n+$/, '')));
  });
}
