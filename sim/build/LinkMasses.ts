import { AxonError } from '../../src/core/errors.ts';
import type { BodyInfo, LinkInfo } from './links.ts';
import { applyMassProperties, type ArmatureModel } from './massProperties.ts';
import { updateLimitGains, type JointInfo } from './makeJoint.ts';

/**
 * The masses a SimRobot simulates, apart from the URDF's (randomisation): a link's mass or a
 * whole body's scaled, the body's mass properties and the joints' explicit limit gains (sized on
 * the child's inertia) rebuilt at once, the URDF's masses restored at reset(seed). Between
 * episodes, never inside a physics step (rebuilding allocates).
 */
export class LinkMasses {
  /** The URDF's mass (kg) of each link, by link index (after the defaults the build gave). */
  private readonly nominal: Float64Array;

  constructor(
    private readonly links: readonly LinkInfo[],
    private readonly bodies: readonly BodyInfo[],
    private readonly joints: readonly JointInfo[],
    /** Where the joints' armature goes (SimRobotOptions.armatureModel) and its values (kg·m² | kg), by joint. */
    private readonly armature: { readonly model: ArmatureModel; readonly values: ArrayLike<number> },
    /** Physics step (s). */
    private readonly physicsDt: number,
  ) {
    this.nominal = Float64Array.from(links, (l) => l.mass);
  }

  /** The URDF's mass of a link (kg). */
  nominalMass(link: LinkInfo): number {
    return this.nominal[link.index];
  }

  /** Mass properties of a body from its links' current masses, with the joints' armature (sim/build/massProperties.ts). */
  applyMassProperties(info: BodyInfo): void {
    applyMassProperties(info, this.links, { model: this.armature.model, joints: this.joints, values: this.armature.values });
  }

  /** Every link of `link`'s body at `scale` × its URDF mass (SimRobot.setBodyMassScale). */
  scaleBody(link: LinkInfo, scale: number): void {
    const linkName = link.urdf.name;
    if (!(scale > 0 && Number.isFinite(scale))) throw new AxonError('SIM_OPTION', `setBodyMassScale("${linkName}")`, `scale ${scale}`, 'a finite scale > 0');
    const info = this.bodies[link.body];
    if (info.isStatic) throw new AxonError('SIM_OPTION', `setBodyMassScale("${linkName}")`, 'the link is part of the fixed base', 'a moving link');
    for (const li of info.links) this.links[li].mass = this.nominal[li] * scale;
    this.applyMassProperties(info);
    this.updateLimitGains();
  }

  /** One link's mass (kg), alone on its body (SimRobot.setLinkMass). */
  setLinkMass(link: LinkInfo, kg: number): void {
    const where = `setLinkMass("${link.urdf.name}")`;
    if (link.inertial === undefined) throw new AxonError('SIM_OPTION', where, 'the link has no <inertial>', 'a link with mass');
    if (!(kg > 0 && Number.isFinite(kg))) throw new AxonError('SIM_OPTION', where, `mass ${kg}`, 'a finite mass > 0 kg');
    const info = this.bodies[link.body];
    if (info.isStatic) throw new AxonError('SIM_OPTION', where, 'the link is part of the fixed base', 'a moving link');
    const others = info.links.filter((li) => li !== link.index && this.links[li].mass > 0);
    if (others.length > 0) throw new AxonError('SIM_OPTION', where, 'the link is merged by fixed joints with other massive links', 'the only massive link of its body');
    link.mass = kg;
    this.applyMassProperties(info);
    this.updateLimitGains();
  }

  /** Back to the URDF's masses (reset(seed)); rebuilds only the bodies that changed. */
  restore(): void {
    let changed = false;
    for (const link of this.links) {
      if (link.mass !== this.nominal[link.index]) {
        link.mass = this.nominal[link.index];
        this.applyMassProperties(this.bodies[link.body]);
        changed = true;
      }
    }
    if (changed) this.updateLimitGains();
  }

  private updateLimitGains(): void {
    for (const j of this.joints) updateLimitGains(j, this.physicsDt);
  }
}
