import type { MjModel } from '@mujoco/mujoco';
import { AxonError } from '../../src/core/errors.ts';

/**
 * The masses a MujocoRobot simulates apart from the compiled model's (randomisation): a body's
 * mass set, or every body welded to one scaled, the inertia scaled with the mass (nominal ×
 * scale; the centre of mass stays), the compiled masses restored at reset(seed). Writes
 * model.body_mass and body_inertia; the caller runs mj_setConst. Between episodes, never inside
 * a physics step.
 *
 * Bodies are MuJoCo body ids (the robot resolves link names).
 */
export class MujocoMasses {
  /** The compiled model's body masses (kg), per body. */
  private readonly nominalMass: Float64Array;
  /** The compiled model's principal inertias (kg·m²), per body × 3. */
  private readonly nominalInertia: Float64Array;

  constructor(private readonly model: MjModel) {
    this.nominalMass = Float64Array.from(model.body_mass as Float64Array);
    this.nominalInertia = Float64Array.from(model.body_inertia as Float64Array);
  }

  /** Mass (kg) body b has now. */
  mass(b: number): number {
    return (this.model.body_mass as Float64Array)[b];
  }

  /** Mass (kg) of body b in the compiled model. */
  nominal(b: number): number {
    return this.nominalMass[b];
  }

  /** Scales every body welded to body b (nominal × scale). */
  scaleWelded(b: number, scale: number): void {
    const weld = this.model.body_weldid as Int32Array;
    const w = weld[b];
    for (let k = 1; k < this.model.nbody; k++) if (weld[k] === w) this.scaleBody(k, scale);
  }

  /** Sets body b's mass (kg), inertia scaled with it; `where` names it in the error. */
  setMass(b: number, kg: number, where: string): void {
    if (!(kg > 0 && Number.isFinite(kg))) throw new AxonError('SIM_OPTION', where, `is ${kg}`, 'a mass > 0 kg');
    this.scaleBody(b, kg / this.nominalMass[b]);
  }

  /** Back to the compiled model's masses and inertias (reset(seed)). */
  restore(): void {
    (this.model.body_mass as Float64Array).set(this.nominalMass);
    (this.model.body_inertia as Float64Array).set(this.nominalInertia);
  }

  private scaleBody(b: number, scale: number): void {
    (this.model.body_mass as Float64Array)[b] = this.nominalMass[b] * scale;
    const inertia = this.model.body_inertia as Float64Array;
    for (let k = 0; k < 3; k++) inertia[b * 3 + k] = this.nominalInertia[b * 3 + k] * scale;
  }
}
