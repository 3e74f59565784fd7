/**
 * Per-vendor facts. A vendor is data: live file paths, node-local sections, secret-bearing
 * elements, volatile fields, and the commands that reload and health-check the appliance.
 *
 * Element paths are slash-separated element names below the root element
 * ("system/hostname"). A path that starts with "//" matches at any depth ("//cert/prv").
 */
export interface Profile {
  name: string;
  description: string;
  /** Root element name the config must have (undefined: any). */
  rootElement?: string;
  live: {
    /** Absolute path of config.xml on the appliance (resolved under --live-root). */
    config: string;
    /** Root certificate (PEM), when the appliance has one as a file. */
    cert?: string;
    /** Root private key (PEM), when the appliance has one as a file. */
    key?: string;
  };
  /** Sections each node keeps for itself during cluster sync. */
  localSections: string[];
  /** Elements whose text is a secret: lifted into the sealed bundle. */
  secretPaths: string[];
  /** Elements that change on every save without a policy change (ignored by capture and diff). */
  volatilePaths: string[];
  /** Attribute names that identify a repeated element (semantic diff keys). */
  idAttributes: string[];
}
