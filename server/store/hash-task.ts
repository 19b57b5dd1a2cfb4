/**
 * What the hash threads are asked (see hasher.ts and hash-worker.cts). Apart from the job itself,
 * so that the job's module imports nothing of ours.
 */
export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * What the thread that runs the jobs is told when it starts (its workerData): the nice value to
 * take (see hash-nice.ts). The value comes from whoever starts the thread rather than an import.
 */
export interface HashThreadData {
  nice: number;
}
