import type { FastifyRequest } from 'fastify'
import type { ApiKeyView, User } from '../accounts/index.ts'
import type { Services } from '../app/index.ts'
import type { ImageBody, KeyBody, UserBody } from '../contracts/index.ts'
import type { ImageView } from '../studio/studio.ts'
import { ApiError } from './errors.ts'
import { imageUrl } from './shared.ts'

// The bodies more than one route group answers with, made from what the services return. Their
// schemas are in contracts/; route files import these from here, never from one another.

export function userBody(u: User): UserBody {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    accountId: u.accountId,
    plan: u.plan,
    cohorts: u.cohorts,
    disabled: u.disabled,
    emailVerified: u.emailVerified,
    createdAt: u.createdAt,
  }
}

export const keyBody = (k: ApiKeyView): KeyBody => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  lastUsedAt: k.lastUsedAt,
})

export function imageBody(services: Services, request: FastifyRequest, image: ImageView): ImageBody {
  return {
    id: image.id,
    jobId: image.jobId,
    position: image.position,
    width: image.width,
    height: image.height,
    bytes: image.bytes,
    procedural: image.procedural,
    favourite: image.favourite,
    favouritedAt: image.favouritedAt,
    createdAt: image.createdAt,
    removed: image.removed,
    contentUrl: `/api/images/${image.id}/content`,
    downloadUrl: `/api/images/${image.id}/download`,
    url: imageUrl(services, request, image.id),
  }
}

/**
 * Refuses to serve a removed image's file (its content, its download, its signed link) with a 410
 * that says why: the owner learns what happened, and a link shared earlier stops working.
 */
export function refuseIfRemoved(image: ImageView): void {
  if (image.removed) {
    throw new ApiError('GONE', `this image was removed by an administrator: ${image.removed.reason}`, {
      reason: 'REMOVED',
    })
  }
}
