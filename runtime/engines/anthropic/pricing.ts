// USD per million tokens for the models the anthropic engine prices; unknown models cost 0
// and say so once.
const PRICES: { match: RegExp; input: number; output: number }[] = [
  { match: /opus/, input: 15, output: 75 },
  { match: /sonnet/, input: 3, output: 15 },
  { match: /haiku/, input: 0.8, output: 4 },
];

export function priceOf(model: string): { input: number; output: number } | undefined {
  return PRICES.find((p) => p.match.test(model));
}

export function costUsd(model: string, inputTokens: number, outputTokens: number): number {
  const price = priceOf(model);
  return price ? (inputTokens * price.input + outputTokens * price.output) / 1_000_000 : 0;
}
