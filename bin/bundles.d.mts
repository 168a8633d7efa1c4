/** The checkout's root folder. */
export declare const ROOT: string;
export declare const BUNDLES: Record<
  'cli' | 'backup' | 'verify' | 'discover',
  { entry: string; file: string; options: Record<string, unknown> }
>;
/** Paths of the bundles asked for, built first when a source is newer. */
export declare function ensureBundles<N extends 'cli' | 'backup' | 'verify' | 'discover'>(
  names: N[],
): Promise<Record<N, string>>;
