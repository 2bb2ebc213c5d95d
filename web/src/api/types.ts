export type UserRole = 'admin' | 'technician' | (string & {});

export interface User {
  id: string;
  email: string;
  role: UserRole;
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface Customer {
  id: string;
  name: string;
  siteCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Site {
  id: string;
  customerId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** A page of a cursor-paged list. `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** RFC 9457 problem details as Orchard sends them. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}
