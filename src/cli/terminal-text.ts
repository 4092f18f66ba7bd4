/**
 * Text from users and the provider (prompts, reasons, ids, paths) printed for people on a terminal: no
 * escape sequence (CSI, OSC, DCS and the rest: colours, cursor moves, window titles, hyperlinks), no
 * other C0 or C1 control character, and no bidirectional override that would reorder what is shown.
 * JSON output needs none of this: JSON.stringify escapes control characters.
 */

/* eslint-disable no-control-regex */
const ESCAPE_SEQUENCES = new RegExp(
  [
    '\\u001b\\[[0-?]*[ -/]*[@-~]', // CSI
    '\\u009b[0-?]*[ -/]*[@-~]', // CSI (C1)
    '[\\u001b][\\]PX^_][\\s\\S]*?(?:\\u0007|\\u001b\\\\|\\u009c|$)', // OSC, DCS, SOS, PM, APC … until the terminator
    '[\\u009d\\u0090\\u0098\\u009e\\u009f][\\s\\S]*?(?:\\u0007|\\u001b\\\\|\\u009c|$)', // the same in C1
    '\\u001b[ -/]*[0-~]?', // any other ESC sequence (or a lone ESC)
  ].join('|'),
  'g',
);
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** One line of text safe to print: escape sequences removed, other control characters as spaces. */
export function forTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCES, '').replace(CONTROLS, ' ');
}
