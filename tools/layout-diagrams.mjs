// Adds diagram interchange (layout) to BPMN files that have none, so bpmn-js and Camunda Modeler can show them.
// Usage: node tools/layout-diagrams.mjs processes/*.bpmn   (a file that already has a layout is left alone)
//
// Only the generated <bpmndi:BPMNDiagram> is written back, spliced into the original text: the process
// elements, their order and their spiffworkflow: extensions stay byte for byte as they were, so the parsed
// spec (and the deployed version's hash) does not change. bpmn-auto-layout draws no lanes.
import { readFile, writeFile } from 'node:fs/promises';
import { BpmnModdle } from 'bpmn-moddle';
import { layoutProcess } from 'bpmn-auto-layout';

const NAMESPACES = {
  bpmndi: 'http://www.omg.org/spec/BPMN/20100524/DI',
  dc: 'http://www.omg.org/spec/DD/20100524/DC',
  di: 'http://www.omg.org/spec/DD/20100524/DI',
};

// The layout walks `incoming`/`outgoing`, which hand-written files leave out: derive them from the flows.
async function withFlowReferences(xml) {
  const moddle = new BpmnModdle();
  const { rootElement } = await moddle.fromXML(xml);
  const containers = rootElement.rootElements.filter((e) => e.flowElements);
  for (const container of containers) {
    for (const flow of container.flowElements.filter((e) => e.$type === 'bpmn:SequenceFlow')) {
      flow.sourceRef.get('outgoing').push(flow);
      flow.targetRef.get('incoming').push(flow);
    }
  }
  return (await moddle.toXML(rootElement)).xml;
}

function splice(original, laidOut) {
  const diagram = laidOut.match(/<bpmndi:BPMNDiagram[\s\S]*<\/bpmndi:BPMNDiagram>/)[0];
  const rootTag = original.match(/<bpmn:definitions[^>]*>/)[0];
  const missing = Object.entries(NAMESPACES).filter(([prefix]) => !rootTag.includes(`xmlns:${prefix}=`));
  const declared = missing.map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`).join('');
  return original
    .replace(rootTag, rootTag.replace(/>$/, `${declared}>`))
    .replace('</bpmn:definitions>', `  ${diagram}\n</bpmn:definitions>`);
}

for (const file of process.argv.slice(2)) {
  const xml = await readFile(file, 'utf8');
  if (xml.includes('BPMNDiagram')) {
    console.log(`${file}: already laid out`);
    continue;
  }
  await writeFile(file, splice(xml, await layoutProcess(await withFlowReferences(xml))));
  console.log(`${file}: laid out`);
}
