// The differential test's oracle: reads the cases internal/policy's test wrote (a JSON array)
// from the file named by the first argument, evaluates each with @cloud-copilot/iam-simulate,
// and prints one JSON array of {"id", "decision"} (Allowed, ExplicitlyDenied, ImplicitlyDenied)
// or {"id", "error"} when the simulator refuses the case.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const out = []
for (const c of cases) {
  const simulation = {
    identityPolicies: c.identity.map((policy, i) => ({ name: `identity${i + 1}`, policy: JSON.parse(policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.account },
      contextVariables: c.context,
    },
  }
  if (c.boundary) {
    simulation.permissionBoundaryPolicies = c.boundary.map((policy, i) => ({ name: `boundary${i + 1}`, policy: JSON.parse(policy) }))
  }
  if (c.session) {
    simulation.sessionPolicy = JSON.parse(c.session)
  }
  try {
    const r = await runSimulation(simulation, {})
    if (r.resultType === 'error') {
      out.push({ id: c.id, error: JSON.stringify(r.errors) })
    } else {
      out.push({ id: c.id, decision: r.overallResult })
    }
  } catch (e) {
    out.push({ id: c.id, error: String(e) })
  }
}
process.stdout.write(JSON.stringify(out))
