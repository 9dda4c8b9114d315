export * from './transport/Transport.ts';
export * from './transport/MemoryTransport.ts';
export * from './transport/TcpTransport.ts';
export * from './transport/SerialTransport.ts';
export * from './transport/openPort.ts';
export * from './dynamixel/crc.ts';
export * from './dynamixel/packet.ts';
export * from './dynamixel/PacketDecoder.ts';
export * from './dynamixel/controlTable.ts';
export * from './dynamixel/servoModels.ts';
export * from './dynamixel/DynamixelBus.ts';
export * from './emulator/EmulatedServo.ts';
export * from './emulator/DynamixelEmulator.ts';
export * from './robots/config.ts';
export * from './robots/DynamixelRobot.ts';
export * as feetech from './feetech/packet.ts';
export { FeetechPacketDecoder, type FeetechDecoderStats } from './feetech/PacketDecoder.ts';
export {
  STS_TABLE, FEETECH_TABLE_BYTES, FEETECH_BAUD_CODES, FEETECH_MODELS, FEETECH_PRESENT_BLOCK, FeetechMode, TICKS_PER_TURN,
  feetechItem, feetechBaudCode, feetechModelByName, feetechModelByNumber, stsTicksToRad, stsRadToTicks,
  type FeetechItem, type FeetechItemName, type FeetechModel, type FeetechModeName,
} from './feetech/controlTable.ts';
export * from './feetech/FeetechBus.ts';
export * from './emulator/EmulatedStsServo.ts';
export * from './emulator/FeetechEmulator.ts';
export * from './robots/feetechConfig.ts';
export * from './robots/FeetechRobot.ts';
export * from './robots/openRobot.ts';
export * from './robots/lerobotCalibration.ts';
export * from './robots/lerobotServos.ts';
export * from './emulator/lerobotArm.ts';
export * as bridge from './bridge/index.ts';
