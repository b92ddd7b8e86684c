// The REST API client: one place that knows the base URL, who the caller is, and the error shape.
import { authorization } from "./auth";

export interface StudioConfig {
  apiBaseUrl: string;
  auth: null | { domain: string; clientId: string; userPoolId: string; region?: string; redirectUri?: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let config: StudioConfig = { apiBaseUrl: "", auth: null };

export async function loadConfig(): Promise<StudioConfig> {
  const response = await fetch("/studio/config.json", { cache: "no-store" });
  config = (await response.json()) as StudioConfig;
  return config;
}

export function studioConfig(): StudioConfig {
  return config;
}

export function apiUrl(path: string): string {
  return config.apiBaseUrl.replace(/\/$/, "") + path;
}

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const all: Record<string, string> = { ...headers };
  const auth = authorization();
  if (auth) all.Authorization = auth;
  let payload: BodyInit | undefined;
  if (body instanceof Uint8Array) {
    payload = body as unknown as BodyInit;
  } else if (body !== undefined) {
    all["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(apiUrl(path), { method, headers: all, body: payload });
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = `The API answered ${response.status} ${response.statusText}.`;
    try {
      const error = ((await response.json()) as { error?: { code?: string; message?: string } }).error;
      if (error?.code) code = error.code;
      if (error?.message) message = error.message;
    } catch {
      // not the API's error shape: keep the status line as the message
    }
    throw new ApiError(response.status, code, message);
  }
  return response;
}

export async function api<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const response = await send(method, path, body, headers);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function apiBytes(path: string, accept = "application/octet-stream"): Promise<Uint8Array> {
  // API Gateway answers bytes (not base64) only to an Accept header among its binary media types.
  const response = await send("GET", path, undefined, { Accept: accept });
  return new Uint8Array(await response.arrayBuffer());
}

export interface Page<T> {
  items: T[];
  nextToken?: string | null;
}

/** Every page of a list, for the small lists a picker shows (melodies, models). */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | null | undefined;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api<Page<T>>("GET", token ? `${path}${sep}nextToken=${encodeURIComponent(token)}` : path);
    items.push(...page.items);
    token = page.nextToken;
  } while (token);
  return items;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The API's records, as the studio reads them (openapi.json has the full shapes).
export interface Melody {
  id: string;
  name: string;
  builtin: boolean;
  bars: number;
  noteCount: number;
  tempo: number;
  timeSignature: string;
  createdAt: string;
}

export interface JsonSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  properties?: Record<string, JsonSchema | boolean>;
  required?: string[];
  allOf?: { if?: JsonSchema; then?: JsonSchema }[];
}

export interface Model {
  id: string;
  name: string;
  type: string;
  status: string;
  builtin: boolean;
  description: string;
  defaultParameters: Record<string, unknown>;
  parameterSchema: JsonSchema | null;
  createdAt: string;
}

export interface ModelTypeInfo {
  type: string;
  title: string;
  description: string;
  parameterSchema: JsonSchema;
  hyperparameterSchema: JsonSchema;
}

export interface Track {
  index: number;
  name: string;
  program: number;
  noteCount: number;
}

/** What GET /shared/{token} shows of a composition: its music, never its owner's ids. */
export interface SharedComposition {
  name: string;
  bars: number | null;
  tracks: Track[];
  model: string;
  modelType: string;
  createdAt: string;
}

export interface Composition {
  id: string;
  name?: string;
  melodyId: string;
  modelId: string;
  modelType: string;
  status: string;
  tracks: Track[];
  bars: number | null;
  metrics: Record<string, number>;
  parameters: Record<string, unknown>;
  failureReason: string | null;
  createdAt: string;
}

export interface EpochEntry {
  epoch: number;
  seconds?: number | null;
  generatorLoss?: number | null;
  criticLoss?: number | null;
  losses?: Record<string, number>;
  metrics?: Record<string, number>;
  [key: string]: unknown;
}

export interface TrainingJob {
  id: string;
  modelName: string;
  modelType: string;
  status: string;
  epoch: number;
  epochs: number;
  history: EpochEntry[];
  failureReason: string | null;
  modelId: string | null;
  dataset: { tags: string[] };
  hyperparameters: Record<string, unknown>;
  createdAt: string;
  estimate?: { seconds: number; trainingPieces: number; heldOutPieces: number; basis: string } | null;
}

export interface TrainingSample {
  epoch: number;
  createdAt: string;
  midi: string; // the API path of its MIDI file
}

export interface DatasetTag {
  tag: string;
  kind: string;
  pieces: number;
}
