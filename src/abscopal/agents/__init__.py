"""The drug library: pharmacokinetics and targets of every agent, one data file with sources."""

from .library import Agent, agent_keys, all_agents, get_agent

__all__ = ["Agent", "agent_keys", "all_agents", "get_agent"]
