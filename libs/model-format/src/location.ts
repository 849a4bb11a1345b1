/** A model whose artifact location escapes its own directory (`..` segments, raw or percent-encoded). */
export class ModelLocationError extends Error {
  constructor(modelUri: string, artifactUri: string) {
    super(`${modelUri}: refusing artifact location ${JSON.stringify(artifactUri)}, it leaves the model's directory`);
    this.name = 'ModelLocationError';
  }
}

/** Refuses artifact URIs that climb out of the model's own directory before anything is downloaded. */
export function assertOwnDirectory(artifactUri: string, modelUri: string): void {
  let path: string;
  try {
    path = decodeURIComponent(artifactUri.replace(/^[a-z][\w+.-]*:/i, ''));
  } catch {
    throw new ModelLocationError(modelUri, artifactUri);
  }
  if (path.split(/[\\/]/).some((segment) => segment === '..') || path.includes('\0')) {
    throw new ModelLocationError(modelUri, artifactUri);
  }
}
