// What front ends call to run a lab: start, apply; status, exec and down live in runtime/.
export { startLab, type StartOptions } from './start';
export { applyToLab, setAppliedFiles } from './apply';
export { prepareLab, prepareScenario, toLabRun, type PreparedLab } from './prepare';
