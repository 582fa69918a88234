import type { Response } from 'express';

/** Every success is `{success: true, data, timestamp}`. */
export function sendData(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ success: true, data, timestamp: new Date().toISOString() });
}

/** Every failure is `{success: false, error: {code, message, details}, timestamp}`. */
export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  res.status(status).json({ success: false, error: { code, message, details: details ?? null }, timestamp: new Date().toISOString() });
}
