/** What `--record` and `--dataset` runs share: the message of a recording that dropped frames (its exit code is exitCodes.ts EXIT_DROPPED). */
import type { DatasetSummary } from '../dataset/index.ts';

/** One line naming what was dropped, or undefined when nothing was. */
export function datasetDrops(record: { readonly dropped: number; readonly ticks: number } | undefined, dataset: DatasetSummary | undefined): string | undefined {
  const parts: string[] = [];
  if (record && record.dropped > 0) parts.push(`the MCAP recording dropped ${record.dropped} of ${record.ticks} ticks`);
  if (dataset && dataset.frames_dropped > 0)
    parts.push(`the dataset dropped ${dataset.frames_dropped} of ${dataset.frames_received} frames (${dataset.episodes_dropped} episodes${dataset.errors.length ? `: ${dataset.errors[0]}` : ''})`);
  return parts.length ? parts.join('; ') : undefined;
}
