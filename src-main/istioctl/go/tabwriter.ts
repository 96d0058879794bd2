// Go's text/tabwriter (elastic tabstops), so istioctl's tables come out column for column as Go lays them out.
//
// Cells are terminated by '\t' (or '\v'); lines by '\n' (or '\f'). A column is a run of
// tab-terminated cells in contiguous lines; the last cell of a line never belongs to a column.
// Widths count Unicode code points, as Go counts runes. FilterHTML and StripEscape are not
// needed by istioctl and are not implemented.

export const AlignRight = 1 << 2;
export const DiscardEmptyColumns = 1 << 3;
export const TabIndent = 1 << 4;
export const Debug = 1 << 5;

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

function runeCount(s: string): number {
  return Array.from(s).length;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private readonly flags: number;

  constructor(
    private readonly sink: (text: string) => void,
    private readonly minwidth: number,
    private readonly tabwidth: number,
    private readonly padding: number,
    private readonly padchar: string,
    flags = 0,
  ) {
    if (minwidth < 0 || tabwidth < 0 || padding < 0) throw new Error('negative minwidth, tabwidth, or padding');
    if (padchar.length !== 1) throw new Error('padchar must be one character');
    // Tab padding forces left alignment, as in Go.
    this.flags = padchar === '\t' ? flags & ~AlignRight : flags;
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.lines.push([]);
        // A line of one cell cannot affect later columns, so Go flushes there; '\f' always flushes.
        if (ch === '\f' || ncells === 1) {
          this.flush();
          if (ch === '\f' && this.flags & Debug) this.sink('---\n');
        }
      }
    }
    this.cell += text.slice(start);
  }

  /** Go's Flush: formats and writes everything buffered. */
  flush(): void {
    if (this.cell.length > 0) this.terminateCell(false);
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.cell = '';
    this.widths = [];
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1];
    line.push({ text: this.cell, width: runeCount(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padchar === '\t' || useTabs) {
      if (this.tabwidth === 0) return;
      const cw = Math.ceil(cellw / this.tabwidth) * this.tabwidth;
      const n = cw - textw;
      if (n < 0) throw new Error('tabwriter: internal error');
      this.sink('\t'.repeat(Math.ceil(n / this.tabwidth)));
      return;
    }
    this.sink(this.padchar.repeat(cellw - textw));
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i];
      let useTabs = (this.flags & TabIndent) !== 0;
      line.forEach((c, j) => {
        if (j > 0 && this.flags & Debug) this.sink('|');
        if (c.text.length === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], useTabs);
          return;
        }
        useTabs = false;
        if ((this.flags & AlignRight) === 0) {
          this.sink(c.text);
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
        } else {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false);
          this.sink(c.text);
        }
      });
      // The last buffered line has no newline yet: Go writes the incomplete cell (empty here).
      if (i + 1 === this.lines.length) this.sink(this.cell);
      else this.sink('\n');
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= this.lines[t].length - 1) continue;
      // A cell exists in this column: this line starts a column block.
      this.writeLines(line0, t);
      line0 = t;
      let width = this.minwidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = this.lines[t];
        if (column >= line.length - 1) break;
        const c = line[column];
        width = Math.max(width, c.width + this.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.flags & DiscardEmptyColumns) width = 0;
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
  }
}

/** Lays out `text` (tab-separated cells, newline-terminated lines) as one Go tabwriter would. */
export function tabulate(text: string, minwidth: number, tabwidth: number, padding: number, padchar = ' ', flags = 0): string {
  let out = '';
  const w = new TabWriter((s) => (out += s), minwidth, tabwidth, padding, padchar, flags);
  w.write(text);
  w.flush();
  return out;
}
