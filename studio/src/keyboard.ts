// The on-screen keyboard (MIDI 41-72, as DeepComposer's, shifted by octaves), played with the mouse
// or touch (pointer events), the computer keyboard, and a USB MIDI keyboard through Web MIDI.
import { h } from "./dom";
import { KEYBOARD_HIGH, KEYBOARD_LOW, isBlack, noteName } from "./music";

// The computer-keyboard map, from the lowest C of the keyboard upward (as most DAWs lay it out):
// white keys on the home row, black keys on the row above; Z and X shift an octave down and up.
export const KEY_MAP: Record<string, number> = {
  a: 0, w: 1, s: 2, e: 3, d: 4, f: 5, t: 6, g: 7, y: 8, h: 9, u: 10, j: 11,
  k: 12, o: 13, l: 14, p: 15, ";": 16, "'": 17,
};
const FIRST_C = 48; // "a" plays C3 at octave shift 0

export type NoteHandler = (pitch: number, velocity: number, on: boolean) => void;

export class Keyboard {
  readonly element: HTMLElement;
  private shift = 0;
  private readonly down = new Map<string, number>();
  private keysEl: HTMLElement;
  private shiftLabel: HTMLElement;

  constructor(private readonly onNote: NoteHandler) {
    this.shiftLabel = h("span", { class: "octave", "aria-live": "polite" });
    this.keysEl = h("div", { class: "keys", role: "group", "aria-label": "Piano keyboard" });
    this.element = h(
      "section",
      { class: "keyboard", "aria-label": "Keyboard" },
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", onclick: () => this.setShift(this.shift - 1), "aria-label": "Octave down" }, "Octave −"),
        this.shiftLabel,
        h("button", { type: "button", onclick: () => this.setShift(this.shift + 1), "aria-label": "Octave up" }, "Octave +"),
        h("span", { class: "midi-status", id: "midi-status" }),
      ),
      this.keysEl,
    );
    this.setShift(0);
    document.addEventListener("keydown", this.keyDown);
    document.addEventListener("keyup", this.keyUp);
    void this.connectMidi();
  }

  private readonly keyDown = (e: KeyboardEvent): void => this.onKey(e, true);
  private readonly keyUp = (e: KeyboardEvent): void => this.onKey(e, false);
  private midi: MIDIAccess | null = null;

  /** Stop listening (the page is left). */
  dispose(): void {
    document.removeEventListener("keydown", this.keyDown);
    document.removeEventListener("keyup", this.keyUp);
    this.midi?.inputs.forEach((input) => (input.onmidimessage = null));
    for (const source of [...this.down.keys()]) this.release(source);
  }

  private setShift(shift: number): void {
    this.shift = Math.max(-2, Math.min(2, shift));
    this.shiftLabel.textContent = `Keys ${noteName(KEYBOARD_LOW + 12 * this.shift)}–${noteName(KEYBOARD_HIGH + 12 * this.shift)}`;
    this.drawKeys();
  }

  private drawKeys(): void {
    const keys: HTMLElement[] = [];
    for (let base = KEYBOARD_LOW; base <= KEYBOARD_HIGH; base++) {
      const pitch = base + 12 * this.shift;
      const key = h("button", {
        type: "button",
        class: isBlack(pitch) ? "key black" : "key white",
        "data-pitch": pitch,
        "aria-label": noteName(pitch),
        tabindex: "-1",
      });
      key.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        key.setPointerCapture(e.pointerId);
        this.press(`pointer${e.pointerId}`, pitch, 96);
      });
      const lift = (e: PointerEvent): void => this.release(`pointer${e.pointerId}`);
      key.addEventListener("pointerup", lift);
      key.addEventListener("pointercancel", lift);
      keys.push(key);
    }
    this.keysEl.replaceChildren(...keys);
  }

  private press(source: string, pitch: number, velocity: number): void {
    if (this.down.has(source)) this.release(source);
    this.down.set(source, pitch);
    this.keysEl.querySelector(`[data-pitch="${pitch}"]`)?.classList.add("down");
    this.onNote(pitch, velocity, true);
  }

  private release(source: string): void {
    const pitch = this.down.get(source);
    if (pitch === undefined) return;
    this.down.delete(source);
    this.keysEl.querySelector(`[data-pitch="${pitch}"]`)?.classList.remove("down");
    this.onNote(pitch, 0, false);
  }

  private onKey(event: KeyboardEvent, on: boolean): void {
    const target = event.target as HTMLElement;
    if (target.closest("input:not([type=checkbox]):not([type=radio]), select, textarea, [contenteditable]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (on && !event.repeat && key === "z") this.setShift(this.shift - 1);
    if (on && !event.repeat && key === "x") this.setShift(this.shift + 1);
    const offset = KEY_MAP[key];
    if (offset === undefined) return;
    event.preventDefault();
    if (event.repeat) return;
    if (on) this.press(`key-${key}`, FIRST_C + offset + 12 * this.shift, 96);
    else this.release(`key-${key}`);
  }

  private async connectMidi(): Promise<void> {
    const status = this.element.querySelector("#midi-status") as HTMLElement;
    const nav = navigator as Navigator & { requestMIDIAccess?: () => Promise<MIDIAccess> };
    if (!nav.requestMIDIAccess) return;
    try {
      const access = await nav.requestMIDIAccess();
      this.midi = access;
      const listen = (): void => {
        let count = 0;
        access.inputs.forEach((input) => {
          count += 1;
          input.onmidimessage = (message) => {
            const data = message.data;
            if (!data || data.length < 3) return;
            const kind = data[0] & 0xf0;
            if (kind === 0x90 && data[2] > 0) this.press(`midi-${data[1]}`, data[1], data[2]);
            else if (kind === 0x80 || kind === 0x90) this.release(`midi-${data[1]}`);
          };
        });
        status.textContent = count ? `MIDI: ${count} input${count > 1 ? "s" : ""}` : "";
      };
      access.onstatechange = listen;
      listen();
    } catch {
      status.textContent = "";
    }
  }
}
