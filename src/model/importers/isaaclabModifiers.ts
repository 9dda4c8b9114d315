/**
 * An Isaac Lab observation term's `modifiers` (ObservationTermCfg.modifiers, a list of ModifierCfg
 * {func, params}): its ObservationManager applies them in order to the term's value, before noise,
 * clip and scale (compute_group: func -> modifiers -> noise -> clip -> scale), so they are part of
 * the input the policy was trained on. Isaac Lab's stateless ones (isaaclab.utils.modifiers.modifier)
 * are read: `bias` (data + value), `scale` (data · multiplier) and `clip` (data.clip(lo, hi), a None
 * bound not applied). Any run of bias and scale is one affine map a·x + b = a·(x + b/a): the term's
 * `bias` b/a and a factor a on its scale; a symmetric clip, last in the list, tightens the term's
 * clip. The stateful ones (DigitalFilter, Integrator: past inputs and outputs kept between steps),
 * a project's own, an asymmetric clip or one before another modifier are refused, naming the term
 * and the modifier: axon would feed the policy another input (docs/byom.md, "Where axon's
 * observation differs").
 */
import { ImportError, isObj, num } from './common.ts';

/** What a term's modifiers amount to: value = clip(factor·(x + bias), ±clip); clip Infinity: none. */
export interface TermModifiers {
  readonly factor: number;
  readonly bias: number;
  readonly clip: number;
}

const stateful = new Set(['DigitalFilter', 'Integrator']);
const isaacLabModifiers = /^(isaaclab|omni\.isaac\.lab)\.utils\.modifiers(\.modifier)?$/;

/** Reads observations.policy.<term>.modifiers (`where` names it); null, absent or [] is no modifier. */
export function termModifiers(mods: unknown, where: string): TermModifiers {
  const none: TermModifiers = { factor: 1, bias: 0, clip: Infinity };
  if (mods === undefined || mods === null || (Array.isArray(mods) && mods.length === 0)) return none;
  if (!Array.isArray(mods)) throw new ImportError(where, `is ${JSON.stringify(mods)}`, 'null or a list of modifiers ({func, params})');
  // a·x + b, then an optional symmetric clip at the end.
  let a = 1, b = 0, clip = Infinity;
  mods.forEach((m, i) => {
    const w = `${where}[${i}]`;
    const func = isObj(m) && typeof m.func === 'string' ? m.func : undefined;
    if (func === undefined) throw new ImportError(`${w}.func`, `is ${JSON.stringify(isObj(m) ? m.func : m)}`, 'a modifier function as "module:function"');
    const [module, name] = func.includes(':') ? [func.slice(0, func.lastIndexOf(':')), func.slice(func.lastIndexOf(':') + 1)] : [func.slice(0, func.lastIndexOf('.')), func.slice(func.lastIndexOf('.') + 1)];
    if (stateful.has(name))
      throw new ImportError(`${w}.func`, `is "${func}", a stateful modifier (it keeps past inputs and outputs between steps), which axon does not compute: the policy would be fed another input`, "no modifier, or Isaac Lab's stateless bias, scale or clip");
    if (!isaacLabModifiers.test(module) || !['bias', 'scale', 'clip'].includes(name))
      throw new ImportError(`${w}.func`, `is "${func}", a modifier axon does not compute: the policy would be fed another input`, "Isaac Lab's isaaclab.utils.modifiers.modifier:bias, scale or clip");
    if (clip !== Infinity) throw new ImportError(`${w}.func`, `is "${func}" after a clip modifier`, 'a clip modifier last in the list (axon clips once, after the bias and scale)');
    const params = isObj(m) && isObj(m.params) ? m.params : {};
    if (name === 'bias') b += num(params.value, `${w}.params.value`);
    else if (name === 'scale') {
      const k = num(params.multiplier, `${w}.params.multiplier`);
      if (k === 0) throw new ImportError(`${w}.params.multiplier`, 'is 0', 'a non-zero multiplier (a term scaled to 0 is a constant the policy never read)');
      a *= k;
      b *= k;
    } else {
      const bounds = params.bounds;
      if (!Array.isArray(bounds) || bounds.length !== 2) throw new ImportError(`${w}.params.bounds`, `is ${JSON.stringify(bounds)}`, '(lo, hi), either one null');
      const [lo, hi] = bounds.map((x, j) => (x === null ? (j === 0 ? -Infinity : Infinity) : num(x, `${w}.params.bounds[${j}]`)));
      if (lo === -Infinity && hi === Infinity) return; // (None, None) clips nothing
      if (lo !== -hi || !(hi > 0)) throw new ImportError(`${w}.params.bounds`, `is [${lo}, ${hi}]`, 'a symmetric range (-c, c): axon clips |x| <= c');
      clip = hi;
    }
  });
  return { factor: a, bias: Number((b / a).toPrecision(12)), clip };
}
