/**
 * The world-model part of a manifest (kind "world-model"): its schema (dt, state and output
 * statistics, cost, constraints, monitor) and the names of its state elements. The cross-field
 * checks, the policy part and the loading of a model folder are manifest.ts's (which imports this
 * file; this one takes only types from it, so neither can load before the other).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ModelManifest } from './manifest.ts';

/** A state element by name: `<term>.<joint>` (e.g. `joint_pos.hinge`), see worldModelStateNames. */
const StateRef = Type.String({ minLength: 3 });

/** One quadratic cost term on a state element: weight · (x − target)² (angles wrapped first). */
const CostTermSchema = Type.Object(
  { state: StateRef, target: Type.Optional(Type.Number()), weight: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);

/**
 * The task cost a planner minimises, summed over the horizon:
 *   Σ_t [ Σ_i w_i (x_i − target_i)² + action_weight · |a|² ] + terminal_weight · Σ_i w_i (x_H,i − target_i)²
 * plus, when `energy` is given, energy_weight · (E − E_target)² per step for a pendulum-like joint
 * (E = ½ inertia ω² + mgl_half · cos θ, θ = 0 upright): the shaping that makes a short horizon pump.
 */
const CostSchema = Type.Object(
  {
    terms: Type.Array(CostTermSchema, { minItems: 1 }),
    /** Weight on the squared raw action (policy units), per step. */
    action_weight: Type.Optional(Type.Number({ minimum: 0 })),
    /** Multiplier on the state terms at the end of the horizon; default 1. */
    terminal_weight: Type.Optional(Type.Number({ minimum: 0 })),
    energy: Type.Optional(
      Type.Object(
        {
          angle: StateRef,
          velocity: StateRef,
          /** Moment of inertia about the joint (kg·m²). */
          inertia: Type.Number({ exclusiveMinimum: 0 }),
          /** m·g·(distance joint–centre of mass) (N·m): the potential is mgl_half·cos θ. */
          mgl: Type.Number({ exclusiveMinimum: 0 }),
          weight: Type.Number({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A bound on one predicted state element; the shield vetoes a command whose rollout breaks it. */
const ConstraintSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    state: StateRef,
    lower: Type.Optional(Type.Number()),
    upper: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

const NumberList = Type.Array(Type.Number(), { minItems: 1 });
const PositiveList = Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 });

/**
 * What makes a model folder a world model (kind "world-model"). The state is the observation
 * vector built from `observation.terms` (history 1, scale usually omitted: physical units); the
 * action is the raw action in `action`'s space (the same as a policy's, after clip). The runtime
 * feeds the ONNX graph z = (state − state.mean) / state.std and the raw action, and reads
 * next = state + output.mean + output.std · y (residual) or output.mean + output.std · y (absolute).
 */
export const WorldModelSchema = Type.Object(
  {
    /** Step the model predicts over (s); equals the control period 1 / control_hz. */
    dt: Type.Number({ exclusiveMinimum: 0 }),
    prediction: Type.Optional(Type.Union([Type.Literal('residual'), Type.Literal('absolute')])),
    state: Type.Object(
      {
        mean: NumberList,
        std: PositiveList,
        /** State elements that are angles: wrapped to (−π, π] after each prediction. */
        angles: Type.Optional(Type.Array(StateRef)),
      },
      { additionalProperties: false },
    ),
    output: Type.Object({ mean: NumberList, std: PositiveList }, { additionalProperties: false }),
    /** One-step prediction error std per state element on held-out data: the unit of surprise. */
    error_std: Type.Optional(PositiveList),
    cost: Type.Optional(CostSchema),
    constraints: Type.Optional(Type.Array(ConstraintSchema)),
    /** Surprise monitor defaults: threshold (normalised error), ticks above it to degrade, more ticks to safe-stop. */
    monitor: Type.Optional(
      Type.Object(
        {
          threshold: Type.Number({ exclusiveMinimum: 0 }),
          ticks: Type.Integer({ minimum: 1 }),
          stop_ticks: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type WorldModelSpec = Static<typeof WorldModelSchema>;
export type WorldModelCostSpec = Static<typeof CostSchema>;
export type WorldModelConstraintSpec = Static<typeof ConstraintSchema>;

/**
 * Names of a world model's state elements in order, `<term>.<joint>` (or `<term>.x|y|z` for
 * 3-vectors, `gait_phase.sin|cos`): e.g. cartpole [joint_pos.slider, joint_pos.hinge, joint_vel.slider, joint_vel.hinge].
 */
export function worldModelStateNames(m: ModelManifest): string[] {
  const out: string[] = [];
  for (const t of m.observation.terms) {
    switch (t.term) {
      case 'base_ang_vel':
      case 'projected_gravity':
      case 'base_lin_vel':
      case 'velocity_commands':
      case 'base_euler_xyz':
        for (const c of ['x', 'y', 'z']) out.push(`${t.term}.${c}`);
        break;
      case 'last_action':
        for (const j of m.action.joints ?? m.joints) out.push(`${t.term}.${j}`);
        break;
      case 'gait_phase':
        out.push(`${t.term}.sin`, `${t.term}.cos`);
        break;
      default:
        for (const j of m.joints) out.push(`${t.term}.${j}`);
    }
  }
  return out;
}
