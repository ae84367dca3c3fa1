export { findRunningGateway, GATEWAY_FILE, isProcessAlive, removeGatewayFile, writeGatewayFile, type GatewayFile } from "./gateway-file.ts";
export { listRunningGateways, registerRunningGateway, runningDir, storageIdentity, unregisterRunningGateway, type RunningGateway } from "./running.ts";
