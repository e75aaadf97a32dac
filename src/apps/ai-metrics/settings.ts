/**
 * Settings of the ai-metrics app, named as sFlow-RT's system properties
 * (sflow-rt-reference.md §3.6) so a configuration written for sFlow-RT reads
 * the same here. A few settings are flowlens additions; they are marked below
 * and each has a value that turns the addition off.
 */

export interface AiSettings {
  /** Smoothing (s) of every app flow except ai_frames_fast. */
  'ai.flow.t': number;
  /** Smoothing (s) of ai_frames_fast, the flow the period threshold watches. */
  'ai.flow.fast': number;
  /** Threshold timeout (s): how long the fast rate must stay below the threshold before it can fire again. */
  'ai.threshold.t': number;
  /**
   * flowlens: how often (s) the period threshold is evaluated. The collector
   * checks user thresholds every 100 ms; that is too coarse for periods
   * near 0.2 s, so the app evaluates its own threshold on its own timer.
   */
  'ai.threshold.interval': number;
  'ai.load.window': number;
  'ai.load.sensitivity': number;
  'ai.load.repeat': number;
  /** flowlens: the load baseline's band is at least ± sensitivity × floor × mean (0 = pure sdev band). */
  'ai.load.floor': number;
  'ai.period.window': number;
  'ai.period.sensitivity': number;
  'ai.period.repeat': number;
  /** flowlens: the period baseline's band is at least ± sensitivity × floor × mean. */
  'ai.period.floor': number;
  /** Re-place the threshold when no crossing was seen for this many periods. */
  'ai.period.misses': number;
  /** Report no period when no crossing was seen for this many periods. */
  'ai.period.stale': number;
  /** Report a period only when the intervals' coefficient of variation is below this. */
  'ai.period.cv': number;
  /**
   * flowlens: a threshold crossing ends a compute / exchange cycle only when,
   * since the cycle began, the fast rate went above (1 + swing/2) × threshold
   * and below (1 − swing/2) × threshold; crossings made by sampling noise on
   * steady traffic, or by a dip inside a burst, are ignored (0 = count every crossing).
   */
  'ai.period.swing': number;
  /** flowlens: intervals needed before a period is reported (at most the window). */
  'ai.period.min': number;
  /**
   * flowlens: report a period only when the intervals' quartile coefficient of
   * dispersion, (q3 − q1) / (q3 + q1), is below this, and their mean is within
   * qcd/4 of their median (1 = neither test). Random on / off traffic has
   * intervals with a cv near 0.7 to 1, and 20 of them show a cv below 0.5 by
   * chance several percent of the time; its quartiles are much harder to
   * fool. A mean far from the median means some intervals spanned several
   * cycles (crossings missed): no period rather than a wrong one.
   */
  'ai.period.qcd': number;
  /** DSCP of trimmed packets; -1 turns the ai_trim flow off. */
  'ai.trim.dscp': number;
  /** Prefix of the Prometheus names (sflow_ai_bps with the default). */
  'prometheus.metric.prefix': string;
  /** Write `# TYPE <name> gauge` lines. */
  'prometheus.type': boolean;
}

export const AI_DEFAULTS: Readonly<AiSettings> = {
  'ai.flow.t': 2,
  'ai.flow.fast': 0.1,
  'ai.threshold.t': 0.2,
  'ai.threshold.interval': 0.01,
  'ai.load.window': 20,
  'ai.load.sensitivity': 2,
  'ai.load.repeat': 2,
  'ai.load.floor': 0.1,
  'ai.period.window': 20,
  'ai.period.sensitivity': 2,
  'ai.period.repeat': 2,
  'ai.period.floor': 0.05,
  'ai.period.misses': 4,
  'ai.period.stale': 10,
  'ai.period.cv': 0.5,
  'ai.period.swing': 0.5,
  'ai.period.min': 20,
  'ai.period.qcd': 0.1,
  'ai.trim.dscp': 11,
  'prometheus.metric.prefix': 'sflow_',
  'prometheus.type': true,
};

export class AiSettingsError extends Error {
  override name = 'AiSettingsError';
}

type NumericName = { [K in keyof AiSettings]: AiSettings[K] extends number ? K : never }[keyof AiSettings];

/** Accepted range of every numeric setting, and whether it must be a whole number. */
const RANGES: Record<NumericName, [number, number, boolean]> = {
  'ai.flow.t': [0.05, 3600, false],
  'ai.flow.fast': [0.05, 3600, false],
  'ai.threshold.t': [0, 60, false],
  'ai.threshold.interval': [0.001, 1, false],
  'ai.load.window': [2, 10_000, true],
  'ai.load.sensitivity': [0, 100, false],
  'ai.load.repeat': [1, 1000, true],
  'ai.load.floor': [0, 10, false],
  'ai.period.window': [2, 10_000, true],
  'ai.period.sensitivity': [0, 100, false],
  'ai.period.repeat': [1, 1000, true],
  'ai.period.floor': [0, 10, false],
  'ai.period.misses': [1, 1000, false],
  'ai.period.stale': [1, 1000, false],
  'ai.period.cv': [0, 100, false],
  'ai.period.swing': [0, 100, false],
  'ai.period.min': [2, 10_000, true],
  'ai.period.qcd': [0, 1, false],
  'ai.trim.dscp': [-1, 63, true],
};

/**
 * The defaults overridden by `options`. Values may be given as strings (as
 * system properties are); unknown names and out-of-range values throw
 * AiSettingsError naming the setting.
 */
export function resolveSettings(options: Readonly<Record<string, unknown>> = {}): AiSettings {
  const out: AiSettings = { ...AI_DEFAULTS };
  for (const [name, raw] of Object.entries(options)) {
    if (raw === undefined) continue;
    if (name === 'prometheus.metric.prefix') {
      if (typeof raw !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(raw))
        throw new AiSettingsError(`'${name}' must be a valid Prometheus name prefix`);
      out[name] = raw;
      continue;
    }
    if (name === 'prometheus.type') {
      const t = typeof raw === 'boolean' ? raw : String(raw).toLowerCase();
      if (t === true || t === 'yes' || t === 'true') out[name] = true;
      else if (t === false || t === 'no' || t === 'false') out[name] = false;
      else throw new AiSettingsError(`'${name}' must be yes or no`);
      continue;
    }
    const range = (RANGES as Record<string, [number, number, boolean] | undefined>)[name];
    if (range === undefined) {
      throw new AiSettingsError(
        `unknown setting '${name}'; known settings: ${Object.keys(AI_DEFAULTS).join(', ')}`,
      );
    }
    const n =
      typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    const [min, max, integer] = range;
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new AiSettingsError(
        `'${name}' must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}, got '${String(raw)}'`,
      );
    }
    out[name as NumericName] = n;
  }
  return out;
}
