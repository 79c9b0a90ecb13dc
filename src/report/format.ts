/** Number and time formatting for the report's tables and cards. */

/**
 * A metric or loss for display: integers as they are, other values with 4 significant decimals,
 * very small or large ones in exponent form.
 */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2);
  return v.toFixed(4);
}

/**
 * A hyper-parameter value exactly as given (a learning rate of 2e-5 must not read 0.0000);
 * null means "not set".
 */
export function formatSetting(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  return String(v);
}

/** A duration as "42.0 s", "3 min 05 s" or "2 h 07 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** An ISO time stamp as "2026-11-22 23:20:58 UTC"; anything unparseable is shown as given. */
export function formatTimestamp(iso: string | undefined | null): string {
  if (!iso) return '—';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
