/** The floor workflows' local activity: returns at once, so only the platform's cost of a local activity remains. */
export const floorActivities = {
  async floorNoop(): Promise<void> {},
};

export type FloorActivities = typeof floorActivities;
