"""The BPMN runtime: definitions, persistence, the script sandbox, running steps, forms and projections."""
