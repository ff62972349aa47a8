/**
 * The top-level fields of a raw change event that the collector reads,
 * gathered in one pass over the event's own keys.
 *
 * Why not `raw.fullDocument`, `raw.lsid`…: events of different operations
 * (and the driver's documents generally) come in many shapes, so every named
 * read of a raw event is a megamorphic lookup, and most of the fields asked
 * for are absent from any one event, which makes the lookup a miss that also
 * walks the prototype chain. Those reads cost about 2 µs per event, as much as
 * serializing its documents; one `for…in` pass costs a sixth of that.
 */
import type { Document } from 'bson';

export class ChangeEventFields {
  _id: unknown = undefined;
  operationType: unknown = undefined;
  clusterTime: unknown = undefined;
  wallTime: unknown = undefined;
  ns: unknown = undefined;
  to: unknown = undefined;
  collectionUUID: unknown = undefined;
  documentKey: unknown = undefined;
  fullDocument: unknown = undefined;
  fullDocumentBeforeChange: unknown = undefined;
  updateDescription: unknown = undefined;
  operationDescription: unknown = undefined;
  lsid: unknown = undefined;
  txnNumber: unknown = undefined;
  splitEvent: unknown = undefined;

  /** `raw` as given (anything: normalize refuses what is not a document). */
  constructor(readonly raw: unknown) {
    if (typeof raw !== 'object' || raw === null) return;
    // for…in also visits inherited enumerable keys, as a named read would find them; documents have none.
    for (const key in raw) {
      const value: unknown = (raw as Document)[key];
      switch (key) {
        case '_id':
          this._id = value;
          break;
        case 'operationType':
          this.operationType = value;
          break;
        case 'clusterTime':
          this.clusterTime = value;
          break;
        case 'wallTime':
          this.wallTime = value;
          break;
        case 'ns':
          this.ns = value;
          break;
        case 'to':
          this.to = value;
          break;
        case 'collectionUUID':
          this.collectionUUID = value;
          break;
        case 'documentKey':
          this.documentKey = value;
          break;
        case 'fullDocument':
          this.fullDocument = value;
          break;
        case 'fullDocumentBeforeChange':
          this.fullDocumentBeforeChange = value;
          break;
        case 'updateDescription':
          this.updateDescription = value;
          break;
        case 'operationDescription':
          this.operationDescription = value;
          break;
        case 'lsid':
          this.lsid = value;
          break;
        case 'txnNumber':
          this.txnNumber = value;
          break;
        case 'splitEvent':
          this.splitEvent = value;
          break;
      }
    }
  }
}
