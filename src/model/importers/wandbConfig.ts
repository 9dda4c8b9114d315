/** A training run's config as Weights & Biases stores it, read as the config it wraps. */
import { isObj, type Obj } from './common.ts';

/**
 * W&B keeps a run's config with every top-level key wrapped: `{key: {value: X}}` (the run's
 * config.yaml adds `desc: null` to each and a `wandb_version: 1` key; `_wandb` holds W&B's own
 * data). legged_gym forks that call `wandb.config.update(class_to_dict(env_cfg))` put the env
 * config's sections (init_state, control, normalization, ...) at the top; rsl_rl's
 * WandbSummaryWriter.store_config, and Isaac Lab's train scripts, nest it under `env_cfg`
 * beside runner_cfg, policy_cfg, alg_cfg or agent_cfg. Returns the env config, with a note on
 * how it was found; a file that is not such a config is returned as it is.
 */
export function unwrapWandbConfig(cfg: Obj, file: string, notes: string[]): Obj {
  const keys = Object.keys(cfg).filter((k) => k !== 'wandb_version');
  const wrapped = keys.length > 0 && keys.every((k) => {
    const v = cfg[k];
    return isObj(v) && 'value' in v && Object.keys(v).every((x) => x === 'value' || x === 'desc');
  });
  if (!wrapped) return cfg;
  const run: Obj = Object.fromEntries(keys.filter((k) => k !== '_wandb').map((k) => [k, (cfg[k] as Obj).value]));
  if (isObj(run.env_cfg)) {
    const others = Object.keys(run).filter((k) => k !== 'env_cfg');
    notes.push(`${file}: a Weights & Biases run config: its env_cfg entry is read${others.length > 0 ? ` (not ${others.join(', ')})` : ''}`);
    return run.env_cfg;
  }
  notes.push(`${file}: a Weights & Biases run config: each top-level entry's value is read`);
  return run;
}
