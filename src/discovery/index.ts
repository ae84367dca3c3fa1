export { findRunningGateway, GATEWAY_FILE, isProcessAlive, removeGatewayFile, writeGatewayFile, type GatewayFile } from "./gateway-file.ts";
