import type { CheckGrade } from "./grade-check.ts";

/** A student's grade: points per scenario and check, and whether the pass mark is met. */
export interface GradeSummary {
  readonly student: string;
  readonly provider: string;
  readonly timestamp: string;
  readonly passMarkPercent: number;
  readonly points: number;
  readonly earned: number;
  readonly percent: number;
  readonly passed: boolean;
  /** `grade --stage N`: only stages 1..N were graded. */
  readonly throughStage?: number;
  /** What was found done to the tools the checks run: the grade is withheld (no points) when any. */
  readonly tampering?: readonly string[];
  readonly scenarios: ReadonlyArray<{
    id: string;
    lab: string;
    points: number;
    earned: number;
    /** Points per stage, for a scenario with stages (a stage past `--stage` is not graded: no points). */
    stages?: ReadonlyArray<{ stage: number; title: string; points: number; earned: number; graded: boolean }>;
    checks: readonly CheckGrade[];
  }>;
}

export function summarize(
  grades: readonly CheckGrade[],
  meta: {
    student: string;
    provider: string;
    passMarkPercent: number;
    labs: Record<string, string>;
    /** Each scenario's stage titles, in order (none: no stages). */
    stages?: Record<string, readonly string[]>;
    throughStage?: number;
    tampering?: readonly string[];
  },
): GradeSummary {
  const graded = grades.filter((g) => g.status !== "not-graded");
  const points = graded.reduce((n, g) => n + g.points, 0);
  const earned = graded.reduce((n, g) => n + g.earned, 0);
  const percent = points ? Math.round((1000 * earned) / points) / 10 : 0;
  const ids = [...new Set(grades.map((g) => g.scenario))];
  return {
    student: meta.student,
    provider: meta.provider,
    timestamp: new Date().toISOString(),
    passMarkPercent: meta.passMarkPercent,
    points,
    earned,
    percent,
    passed: points > 0 && percent >= meta.passMarkPercent && !meta.tampering?.length,
    ...(meta.throughStage === undefined ? {} : { throughStage: meta.throughStage }),
    ...(meta.tampering?.length ? { tampering: meta.tampering } : {}),
    scenarios: ids.map((id) => {
      const checks = grades.filter((g) => g.scenario === id);
      const counted = checks.filter((g) => g.status !== "not-graded");
      const titles = meta.stages?.[id] ?? [];
      const stages = titles.map((title, i) => {
        const inStage = counted.filter((g) => g.stage === i + 1);
        const graded = meta.throughStage === undefined || i + 1 <= meta.throughStage;
        return {
          stage: i + 1,
          title,
          points: inStage.reduce((n, g) => n + g.points, 0),
          earned: inStage.reduce((n, g) => n + g.earned, 0),
          graded,
        };
      });
      return {
        id,
        lab: meta.labs[id] ?? "",
        points: counted.reduce((n, g) => n + g.points, 0),
        earned: counted.reduce((n, g) => n + g.earned, 0),
        ...(stages.length ? { stages } : {}),
        checks: checks.map(({ outcome: _o, ...rest }) => rest),
      };
    }),
  };
}
