/**
 * How much one pass of `work` over `input` costs next to one plain linear pass over the same input
 * (a global regex replace), each the fastest of a few runs. A linear parser stays within a small
 * multiple of that whatever the machine's load (both slow down alike); a quadratic one, on inputs of
 * hundreds of kilobytes, costs thousands of times more. No fixed time limit is involved.
 */
export async function costRelativeToOnePass(input: string, work: (input: string) => unknown): Promise<number> {
  const fastest = async (fn: () => unknown) => {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await fn();
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  await work(input.slice(0, 1000));
  const reference = await fastest(() => input.replace(/[\s\S]/g, 'x').length);
  return (await fastest(() => work(input))) / Math.max(reference, 0.01);
}
