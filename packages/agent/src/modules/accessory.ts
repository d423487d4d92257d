// kz.gov.pki.ncalayerservices.accessory: pages ask which bundles (modules) the agent has.
import {
  MODULES,
  type BundlesReply,
  type ServicesReply,
  type ModuleRequest,
  moduleNotFound,
  type ModuleNotFound,
} from "../protocol/messages.ts";

const AGENT_VERSION = "0.1.0";

export function handleAccessory(request: ModuleRequest): BundlesReply | ServicesReply | ModuleNotFound {
  switch (request.method) {
    case "getBundles":
      return {
        [MODULES.commonUtils]: AGENT_VERSION,
        [MODULES.basics]: AGENT_VERSION,
        "kz.qoltanba.agent": AGENT_VERSION,
      };
    case "getServices":
      return { services: Object.values(MODULES) };
    default:
      // installBundle, showSettings, showBundleManager: a page may not install code or open settings.
      return moduleNotFound();
  }
}
