/**
 * The nice value of the password-hashing threads: the hasher hands it to each thread it starts
 * (hash-worker.cts takes it), and the bench finds the server's hash threads by it.
 *
 * The lowest priority, so whenever the event loop and a hash want the same core, the chat wins and
 * a login waits a little longer. At 19 a hash thread gets 1.5% of a core it shares with a nice-0
 * thread, and on a busy two-core machine it waited for a CPU 17-21% of a login burst while it had
 * work. Nice 10 was measured against it (2026-12-02 and 03, five interleaved rounds of the bench's
 * connect scenario, three storms): logins 0.79x the raw compare rate against 0.75x, registrations
 * 0.74x against 0.69x, but chat p99 in the storm 39.7, 46.3 and 55.6 ms against 35.1, 39.2 and
 * 42.2 ms (target < 50). The chat comes first, so 19. The price is paid beside programs that keep
 * every core busy: logins wait for them (README, "Sharing the machine").
 */
export const HASH_THREAD_NICE = 19;
