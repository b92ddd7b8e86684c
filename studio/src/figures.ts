// The names of the music figures the API reports, as a reader should see them: with their units,
// and which of them are 0-1 figures (the similarity index, F1 scores, shares) rather than percentages.

/** Label and unit of each figure a composition or a training epoch reports. `right`: a 0-1 figure, which
 * a chart draws on its own axis so the percentages beside it do not flatten it. */
export const FIGURES: Record<string, { label: string; unit: string; right?: boolean }> = {
  similarity: { label: "similarity index", unit: "similarity (1 = real music)", right: true },
  chordBeats: { label: "chord beats %", unit: "%" },
  chordBeatsPct: { label: "chord beats %", unit: "%" },
  hollowBeats: { label: "hollow beats %", unit: "%" },
  unpreparedDissonance: { label: "unprepared dissonance %", unit: "%" },
  sixteenths: { label: "16th notes %", unit: "%" },
  offEighthOnsets: { label: "onsets off the 8th grid %", unit: "%" },
  bassSteps: { label: "bass steps %", unit: "%" },
  bassStepsPct: { label: "bass steps %", unit: "%" },
  parallels: { label: "parallels per 100", unit: "parallels per 100 moves" },
  parallelsPer100: { label: "parallels per 100", unit: "parallels per 100 moves" },
  corruptF1: { label: "F1 of damaged input", unit: "F1", right: true },
  enhanceF1: { label: "F1 after enhance", unit: "F1", right: true },
  inKey: { label: "in key", unit: "share", right: true },
  realInKey: { label: "in key (real)", unit: "share", right: true },
  beatShare: { label: "on the beat grid", unit: "share", right: true },
  realBeatShare: { label: "on the beat grid (real)", unit: "share", right: true },
  heldOutNllPerNote: { label: "held-out NLL per note", unit: "nats per note" },
  inKeyIn: { label: "in key before", unit: "share", right: true },
  inKeyOut: { label: "in key after", unit: "share", right: true },
};

/** `offEighthOnsets` -> `off eighth onsets`, for figures the table above does not know yet. */
export function words(name: string): string {
  return name.replace(/(?<=[a-z0-9])(?=[A-Z])/g, " ").toLowerCase();
}

/** A figure's name for people: its label where the table knows it, else its words. */
export function figureLabel(name: string): string {
  return FIGURES[name]?.label ?? words(name);
}
