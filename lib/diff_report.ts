/**
 * The report of `plumberctl diff` (pure): what would change in each cluster a Replicator targets, its
 * exit code as `kubectl diff` has it, and its text and JSON forms.
 *
 * @module
 */

/** What applying the Replicator would do to one object. */
export type DiffAction =
  /** Not there: plumber would create it. */
  | "create"
  /** plumber's, and the dry-run apply changes it. */
  | "update"
  /** plumber's, no longer rendered: plumber would delete it. */
  | "prune"
  /** plumber's, and the dry-run apply changes nothing. */
  | "unchanged"
  /** Someone else's object of that name: plumber would leave it alone (and report it). */
  | "conflict"
  /** The dry run failed (e.g. the API server refuses the object). */
  | "error";

/** One object of one cluster. */
export interface ObjectDiff {
  kind: string;
  /** Empty for a cluster-scoped object (the Namespace). */
  namespace: string;
  name: string;
  action: DiffAction;
  /** The unified diff (`--- live ...` / `+++ plumber`); "" when unchanged, for conflicts and errors. */
  diff: string;
  /** Why (conflict, error) or how (e.g. not dry-run because the namespace does not exist yet). */
  message?: string;
}

/** One cluster the Replicator targets. */
export interface ClusterDiff {
  cluster: string;
  /** False when no request reached its API server. */
  reachable: boolean;
  /** Why this cluster could not be diffed (fully); its objects are then what could be diffed, if any. */
  error?: string;
  objects: ObjectDiff[];
}

/** The whole report, as `-o json` prints it. */
export interface DiffReport {
  replicator: string;
  clusters: ClusterDiff[];
}

/** Exit code: no differences. */
export const EXIT_NO_DIFFERENCES = 0;
/** Exit code: differences found. */
export const EXIT_DIFFERENCES = 1;
/** Exit code: some cluster or object could not be diffed (the report is incomplete). */
export const EXIT_DIFF_ERROR = 2;

const CHANGES: readonly DiffAction[] = ["create", "update", "prune", "conflict"];

/**
 * The exit code of a report, as `kubectl diff`'s: 2 when any cluster or object could not be diffed (an
 * incomplete answer is an error, whatever the rest shows), else 1 when anything would change or conflicts,
 * else 0.
 */
export function diffExitCode(report: DiffReport): number {
  const objects = report.clusters.flatMap((c) => c.objects);
  if (report.clusters.some((c) => c.error !== undefined) || objects.some((o) => o.action === "error")) {
    return EXIT_DIFF_ERROR;
  }
  return objects.some((o) => CHANGES.includes(o.action)) ? EXIT_DIFFERENCES : EXIT_NO_DIFFERENCES;
}

/** The unified diffs of every cluster and object, in report order: what `plumberctl diff` prints on stdout. */
export function formatDiffs(report: DiffReport): string {
  return report.clusters.flatMap((c) => c.objects.map((o) => o.diff)).filter((d) => d !== "").join("");
}

/**
 * What is printed on stderr: one line per cluster that could not be diffed and per object in conflict or
 * in error, then a summary (`3 objects differ in 2 of 3 clusters`), or "" when there is nothing to say.
 */
export function formatProblems(report: DiffReport): string {
  const lines: string[] = [];
  for (const c of report.clusters) {
    if (c.error !== undefined) {
      lines.push(`cluster ${c.cluster}${c.reachable ? "" : " (unreachable)"}: ${c.error}`);
    }
    for (const o of c.objects) {
      if (o.action === "conflict" || o.action === "error") {
        const where = [o.kind, o.namespace, o.name].filter((s) => s).join("/");
        lines.push(`cluster ${c.cluster}: ${where}: ${o.action}: ${o.message ?? ""}`.trimEnd());
      }
    }
  }
  return lines.map((l) => `${l}\n`).join("");
}

/** A one-line count of what would change: `2 to create, 1 to update, 0 to prune in 2 of 3 clusters`. */
export function diffSummary(report: DiffReport): string {
  const count = (action: DiffAction) =>
    report.clusters.reduce((n, c) => n + c.objects.filter((o) => o.action === action).length, 0);
  const changed = report.clusters.filter((c) => c.objects.some((o) => CHANGES.includes(o.action))).length;
  const conflicts = count("conflict");
  return `${count("create")} to create, ${count("update")} to update, ${count("prune")} to prune${
    conflicts > 0 ? `, ${conflicts} in conflict` : ""
  } in ${changed} of ${report.clusters.length} cluster${report.clusters.length === 1 ? "" : "s"}`;
}
