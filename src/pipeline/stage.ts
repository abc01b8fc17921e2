import { SynthforgeError } from "../core/errors.js";
import type { QuestionStatus } from "../core/types.js";
import type { ExampleRow, QuestionRow } from "../storage/store.js";
import type { RunContext } from "./context.js";

/**
 * The stage contract (DESIGN §3.1). A run-scoped stage runs once per run (plan,
 * questions); an item-scoped stage runs once per candidate, in order. Default stages are
 * ADK agents wrapped as stages; custom stages are plain objects.
 */
export interface RunStage {
  name: string;
  scope: "run";
  /**
   * Called again when the run needs more candidates (the questions stage). `ctx.need`
   * then says how many more questions are wanted.
   */
  repeatable?: boolean;
  run(ctx: RunContext): Promise<void>;
}

/** One candidate moving through the item stages. */
export interface Item {
  question: QuestionRow;
  /** The stored example, once generation has made one. */
  example: ExampleRow | null;
  /** Revision round (0 for the first draft). */
  round: number;
  /** What the reviewer asked to fix (set on revision rounds). */
  revisionNotes: string[];
}

/** An item-scoped stage. */
export interface ItemStage {
  name: string;
  scope: "item";
  /**
   * The question status this stage persists when it completes (`researched`,
   * `generated`). A resumed candidate continues after the last stage whose mark it has.
   * Custom stages usually leave it unset and must then be safe to run twice.
   */
  marks?: QuestionStatus;
  run(item: Item, ctx: RunContext): Promise<void>;
}

/** A run- or item-scoped stage. */
export type Stage = RunStage | ItemStage;

/**
 * Thrown by a stage to drop a candidate on purpose (a failed domain check, say).
 * The pipeline records a `failures` row with the stage and reason, marks the
 * candidate `rejected` (or `failed` when nothing could be made of it) and starts
 * another one.
 */
export class CandidateRejected extends Error {
  constructor(
    readonly reason: string,
    readonly rawOutput: string | null = null,
    readonly status: "rejected" | "failed" = "rejected",
  ) {
    super(reason);
    this.name = "CandidateRejected";
  }
}

/** An ordered list of stages that can be edited by name. */
export class StageList {
  private readonly stages: Stage[];

  constructor(stages: Stage[]) {
    this.stages = [...stages];
    const names = new Set<string>();
    for (const s of stages) {
      if (names.has(s.name))
        throw new SynthforgeError(
          "INVALID_REQUEST",
          `Two stages are named "${s.name}"; stage names must be unique.`,
        );
      names.add(s.name);
    }
  }

  private indexOf(name: string): number {
    const i = this.stages.findIndex((s) => s.name === name);
    if (i < 0) {
      throw new SynthforgeError(
        "STAGE_NOT_FOUND",
        `No stage named "${name}". Stages: ${this.stages.map((s) => s.name).join(", ")}.`,
      );
    }
    return i;
  }

  private checkScope(anchor: Stage, stage: Stage): void {
    if (anchor.scope !== stage.scope) {
      throw new SynthforgeError(
        "INVALID_REQUEST",
        `Stage "${stage.name}" is ${stage.scope}-scoped but "${anchor.name}" is ${anchor.scope}-scoped; place it among ${stage.scope}-scoped stages.`,
      );
    }
  }

  /** A new list with `stage` inserted after the stage named `name`. */
  insertAfter(name: string, stage: Stage): StageList {
    const i = this.indexOf(name);
    this.checkScope(this.stages[i]!, stage);
    return new StageList([...this.stages.slice(0, i + 1), stage, ...this.stages.slice(i + 1)]);
  }

  /** A new list with `stage` inserted before the stage named `name`. */
  insertBefore(name: string, stage: Stage): StageList {
    const i = this.indexOf(name);
    this.checkScope(this.stages[i]!, stage);
    return new StageList([...this.stages.slice(0, i), stage, ...this.stages.slice(i)]);
  }

  /** A new list with the stage named `name` replaced by `stage`. */
  replace(name: string, stage: Stage): StageList {
    const i = this.indexOf(name);
    this.checkScope(this.stages[i]!, stage);
    return new StageList([...this.stages.slice(0, i), stage, ...this.stages.slice(i + 1)]);
  }

  /** A new list without the stage named `name`. */
  remove(name: string): StageList {
    const i = this.indexOf(name);
    return new StageList([...this.stages.slice(0, i), ...this.stages.slice(i + 1)]);
  }

  /** Stage names in order. */
  names(): string[] {
    return this.stages.map((s) => s.name);
  }

  /** Run-scoped stages in order. */
  runStages(): RunStage[] {
    return this.stages.filter((s): s is RunStage => s.scope === "run");
  }

  /** Item-scoped stages in order. */
  itemStages(): ItemStage[] {
    return this.stages.filter((s): s is ItemStage => s.scope === "item");
  }
}
