"""The zone patent catalogue: patents, IPC, zones and industries, patentees, the register of licences and encumbrances."""
