"""The operator agent's plant (IAS_PLANT.md): stations as data, a deterministic simulator, an OPC UA
server for it, the SOP engine, the safety gate and the LLM operator agent."""
