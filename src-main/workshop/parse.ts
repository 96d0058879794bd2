// A workshop folder → chapters and steps: workshop.yaml, then NN-slug.md files with front matter, `## ` steps and fenced blocks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseCheckBlock, parseStateBlock } from './check-spec';
import { WorkshopError, type Chapter, type SourcePos, type Step, type Workshop } from './types';

const CHAPTER_FILE = /^(\d{2})-([a-z0-9][-a-z0-9]*)\.md$/;
/** The info strings a step's fenced blocks may carry; other languages stay prose. */
const STEP_BLOCKS = new Set(['sh', 'solution', 'check', 'hint', 'state']);

interface Fence {
  info: string;
  text: string;
  /** Line of the opening fence (1-based). */
  line: number;
}

/** Reads workshop.yaml's fields (title, description, scenario), naming the line of a bad one. */
function readManifest(dir: string): { title: string; description: string; scenario: string } {
  const file = join(dir, 'workshop.yaml');
  if (!existsSync(file)) throw new WorkshopError({ file, line: 1 }, 'no workshop.yaml in the workshop folder');
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number): number => lines.linePos(offset).line;
  if (doc.errors[0]) throw new WorkshopError({ file, line: lineOf(doc.errors[0].pos[0]) }, `bad YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const value = doc.toJS() as Record<string, unknown> | null;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new WorkshopError({ file, line: 1 }, 'expected a mapping with title, description, scenario');
  const field = (key: string): string => {
    const node = doc.get(key, true) as { range?: number[] } | undefined;
    const v = value[key];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new WorkshopError({ file, line: node?.range ? lineOf(node.range[0]) : 1 }, `${key}: required, a non-empty string`);
    }
    return v.trim();
  };
  for (const key of Object.keys(value)) {
    if (!['title', 'description', 'scenario'].includes(key)) {
      const node = doc.get(key, true) as { range?: number[] } | undefined;
      throw new WorkshopError({ file, line: node?.range ? lineOf(node.range[0]) : 1 }, `${key}: unknown field (workshop.yaml takes title, description, scenario)`);
    }
  }
  return { title: field('title'), description: field('description'), scenario: field('scenario') };
}

/** A scenario named by the manifest: a YAML file in the folder, else a built-in scenario's name. */
function scenarioOf(dir: string, scenario: string): string {
  if (/\.ya?ml$/.test(scenario)) {
    const path = resolve(dir, scenario);
    const inside = relative(dir, path);
    if (inside.startsWith('..') || isAbsolute(inside) || !existsSync(path)) {
      throw new WorkshopError({ file: join(dir, 'workshop.yaml'), line: 1 }, `scenario: ${scenario} is not a file in the workshop folder`);
    }
    return path;
  }
  return scenario;
}

/** Splits Markdown into front matter, prose lines and fenced blocks, keeping line numbers. */
function splitMarkdown(text: string, file: string): { front: Record<string, unknown>; frontLine: number; lines: string[] } {
  const lines = text.split('\n');
  if (lines[0]?.trim() !== '---') throw new WorkshopError({ file, line: 1 }, 'expected front matter: a first line `---`, then `title: …`, then `---`');
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end < 0) throw new WorkshopError({ file, line: 1 }, 'front matter is not closed by a `---` line');
  const doc = parseDocument(lines.slice(1, end).join('\n'), { prettyErrors: false });
  if (doc.errors[0]) throw new WorkshopError({ file, line: 2 }, `front matter: bad YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const front = (doc.toJS() ?? {}) as Record<string, unknown>;
  return { front, frontLine: end + 1, lines };
}

function parseStep(id: string, title: string, startLine: number, body: string[], file: string, dir: string): Step {
  const pos: SourcePos = { file, line: startLine };
  const prose: string[] = [];
  const fences: Fence[] = [];
  let open: Fence | undefined;
  let fenceMark = '';
  let proseFence = false;
  body.forEach((line, i) => {
    const lineNo = startLine + 1 + i;
    if (open || proseFence) {
      if (line.trim() === fenceMark) {
        if (open) {
          fences.push(open);
          if (open.info === 'sh') prose.push(`\`\`\`sh\n${open.text}\`\`\``);
        } else prose.push(line);
        open = undefined;
        proseFence = false;
      } else if (open) open.text += `${line}\n`;
      else prose.push(line);
      return;
    }
    const m = /^(`{3,})\s*([\w-]*)\s*$/.exec(line);
    if (m) {
      fenceMark = m[1];
      // A block in another language (yaml, text…) is prose shown as written.
      if (STEP_BLOCKS.has(m[2])) open = { info: m[2], text: '', line: lineNo };
      else {
        proseFence = true;
        prose.push(line);
      }
      return;
    }
    prose.push(line);
  });
  if (open || proseFence) throw new WorkshopError({ file, line: open?.line ?? startLine }, `step "${title}": code block not closed`);
  const proseText = prose;
  const only = (info: string): Fence | undefined => {
    const all = fences.filter((f) => f.info === info);
    if (all.length > 1) throw new WorkshopError({ file, line: all[1].line }, `step "${title}": more than one \`${info}\` block`);
    return all[0];
  };
  const solution = only('solution');
  if (!solution || solution.text.trim() === '') throw new WorkshopError(pos, `step "${title}": no \`solution\` block (the commands that pass its check)`);
  const check = only('check');
  if (!check) throw new WorkshopError(pos, `step "${title}": no \`check\` block`);
  const checks = parseCheckBlock(check.text, { file, line: check.line });
  const stateBlock = only('state');
  const state = stateBlock ? parseStateBlock(stateBlock.text, { file, line: stateBlock.line }) : { apply: [], run: null };
  const apply = state.apply.map((f, i) => {
    const path = resolve(dir, f);
    if (relative(dir, path).startsWith('..') || !existsSync(path)) {
      throw new WorkshopError({ file, line: (stateBlock?.line ?? 0) + 1 }, `state.apply[${i}]: ${f} is not a file in the workshop folder`);
    }
    return path;
  });
  return {
    id,
    title,
    body: proseText.join('\n').trim(),
    commands: fences.filter((f) => f.info === 'sh').map((f) => f.text.trimEnd()),
    hint: only('hint')?.text.trim() ?? null,
    solution: solution.text.trimEnd(),
    checks,
    state: { apply, run: state.run },
    pos,
  };
}

export function parseChapter(text: string, file: string, dir: string): Chapter {
  const m = CHAPTER_FILE.exec(basename(file));
  if (!m) throw new WorkshopError({ file, line: 1 }, 'chapter files are named NN-slug.md (two digits, then lower-case words joined by -)');
  const number = Number(m[1]);
  const { front, frontLine, lines } = splitMarkdown(text, file);
  for (const key of Object.keys(front)) {
    if (key !== 'title') throw new WorkshopError({ file, line: 2 }, `front matter: ${key}: unknown field (a chapter takes title)`);
  }
  if (typeof front.title !== 'string' || front.title.trim() === '') throw new WorkshopError({ file, line: 2 }, 'front matter: title: required, a non-empty string');
  const heads: number[] = [];
  let inFence = false;
  for (let i = frontLine; i < lines.length; i++) {
    if (/^`{3,}/.test(lines[i])) inFence = !inFence;
    else if (!inFence && lines[i].startsWith('## ')) heads.push(i);
  }
  if (heads.length === 0) throw new WorkshopError({ file, line: frontLine + 1 }, 'no steps: each step starts with a `## ` heading');
  const steps = heads.map((h, s) => {
    const title = lines[h].slice(3).trim();
    const body = lines.slice(h + 1, heads[s + 1] ?? lines.length);
    return parseStep(`${number}.${s + 1}`, title, h + 1, body, file, dir);
  });
  return {
    number,
    slug: m[2],
    title: front.title.trim(),
    intro: lines.slice(frontLine, heads[0]).join('\n').trim(),
    steps,
    file,
  };
}

/** Parses a workshop folder; every error names the file and line at fault. */
export function parseWorkshop(dir: string): Workshop {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new WorkshopError({ file: dir, line: 1 }, 'not a workshop folder');
  const manifest = readManifest(dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
  const chapters = files.map((f) => parseChapter(readFileSync(join(dir, f), 'utf8'), join(dir, f), dir));
  if (chapters.length === 0) throw new WorkshopError({ file: join(dir, 'workshop.yaml'), line: 1 }, 'no chapters: add NN-slug.md files beside workshop.yaml');
  chapters.forEach((c, i) => {
    if (i > 0 && c.number === chapters[i - 1].number) throw new WorkshopError({ file: c.file, line: 1 }, `chapter number ${c.number} is used twice`);
  });
  return { name: basename(dir), dir, ...manifest, scenario: scenarioOf(dir, manifest.scenario), chapters };
}

export function allSteps(w: Workshop): Step[] {
  return w.chapters.flatMap((c) => c.steps);
}
