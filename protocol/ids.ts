// Ids that several layers share: one constant each, never a repeated literal.

/** Jake's agent id in every project: his transcript, his row in the squad, his approvals. */
export const JAKE_ID = 'jake';
