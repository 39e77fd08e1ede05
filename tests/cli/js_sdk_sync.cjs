// StartSyncExecution through the real AWS SDK for JavaScript v3, as the README tells users to
// configure it. Prints one JSON line: what the call returned with disableHostPrefix: true, and
// the error the same call gets without it (the SDK sends it to http://sync-<host>).
const { SFNClient, CreateStateMachineCommand, StartSyncExecutionCommand } = require("@aws-sdk/client-sfn");

const endpoint = process.argv[2];
const options = { region: "us-east-1", endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };

async function main() {
  const sfn = new SFNClient({ ...options, disableHostPrefix: true });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name: `js-sdk-${Date.now()}`,
    type: "EXPRESS",
    roleArn: "arn:aws:iam::123456789012:role/js",
    definition: JSON.stringify({ StartAt: "Greet", States: { Greet: { Type: "Pass", Parameters: { "hello.$": "$.who" }, End: true } } }),
  }));
  const sync = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify({ who: "js" }) }));
  let withPrefix;
  try {
    const prefixed = new SFNClient({ ...options, maxAttempts: 1 });
    await prefixed.send(new StartSyncExecutionCommand({ stateMachineArn, input: "{}" }));
    withPrefix = "succeeded";
  } catch (error) {
    withPrefix = `${error.name}: ${error.message}`;
  }
  console.log(JSON.stringify({ status: sync.status, output: sync.output, withPrefix }));
}

main().catch((error) => { console.error(`${error.name}: ${error.message}`); process.exit(1); });
