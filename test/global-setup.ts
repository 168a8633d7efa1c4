// Placeholder-free global setup: extended as integration fixtures are added.
export default async function setup(): Promise<void> {}
