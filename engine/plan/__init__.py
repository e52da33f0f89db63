"""The plan compiler: a stored model's manifest + context size + adapter traits → a plan
(docs/plan.md), the data both hosts interpret."""

from engine.plan.compiler import COMPILER_VERSION, compile_plan, plan_for

__all__ = ["COMPILER_VERSION", "compile_plan", "plan_for"]
