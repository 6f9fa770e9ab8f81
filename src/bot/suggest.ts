/**
 * "Did you mean" for command names, aliases and option keys: optimal-string-alignment
 * Damerau-Levenshtein distance over code points (so CJK aliases count one per character).
 */

/** Inputs longer than this are not compared (keeps hostile input cheap). */
const MAX_COMPARED = 64;

/** Edit distance with adjacent transpositions (`chta` -> `chat` is 1). */
export function editDistance(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * Candidates close to `input`, best first: within an edit distance of about a third of the
 * input's length (at least 1), or starting with the input when it has 2+ characters.
 */
export function suggest(input: string, candidates: readonly string[], max = 3): string[] {
  const needle = input.normalize('NFKC').toLowerCase();
  const len = Array.from(needle).length;
  if (len === 0 || len > MAX_COMPARED) return [];
  const limit = Math.max(1, Math.floor(len / 3));
  const scored: { c: string; score: number }[] = [];
  for (const c of new Set(candidates)) {
    const hay = c.toLowerCase();
    if (hay === needle) continue;
    // `chat frob` and `chat qr` share their first word: only the words that differ are compared,
    // against their own length (else the shared word makes anything look close).
    const [n0, n1] = needle.split(' ');
    const [h0, h1] = hay.split(' ');
    const same = n1 !== undefined && h1 !== undefined && n0 === h0;
    const a = same ? n1 : needle;
    const b = same ? h1 : hay;
    const lim = same ? Math.max(1, Math.floor(Array.from(a).length / 3)) : limit;
    const dist = editDistance(a, b);
    if (dist <= lim) scored.push({ c, score: dist });
    else if (Array.from(a).length >= 2 && b.startsWith(a)) scored.push({ c, score: lim + 0.5 });
  }
  return scored
    .sort((x, y) => x.score - y.score || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}
